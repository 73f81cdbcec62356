package scuttlebutt

// Transport carries datagrams between nodes. Implementations must be safe for
// concurrent use: ReadFrom runs on one goroutine while WriteTo is called from
// others. Addresses are "host:port" strings.
type Transport interface {
	// WriteTo sends b as one datagram to addr. It must not block for long:
	// a datagram that cannot be sent is dropped (and may return an error).
	WriteTo(b []byte, addr string) error
	// ReadFrom blocks until a datagram arrives, copies it into b and returns
	// its length and the sender's address. A datagram longer than b is
	// truncated to len(b). After Close it returns an error wrapping
	// net.ErrClosed.
	ReadFrom(b []byte) (n int, addr string, err error)
	// LocalAddr returns the bound "host:port" address.
	LocalAddr() string
	// Close releases the transport and unblocks ReadFrom.
	Close() error
}
