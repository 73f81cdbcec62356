package scuttlebutt

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
)

const (
	// udpReadBuffer is the socket receive buffer requested by
	// NewUDPTransport. The kernel may cap it (net.core.rmem_max on Linux).
	udpReadBuffer = 4 << 20
	// udpWriteBuffer is the socket send buffer requested by NewUDPTransport.
	// Some systems (macOS: 9216 bytes) refuse datagrams larger than the send
	// buffer, so it must exceed MaxPacketSizeLimit.
	udpWriteBuffer = 1 << 20
)

// udpConn is the part of *net.UDPConn that UDPTransport uses. Tests
// substitute it to inject socket errors.
type udpConn interface {
	ReadFromUDPAddrPort(b []byte) (int, netip.AddrPort, error)
	WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error)
	Close() error
}

// UDPTransport is a Transport over one UDP socket. It is safe for concurrent
// use. Create it with NewUDPTransport.
type UDPTransport struct {
	conn  udpConn
	local string

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

var _ Transport = (*UDPTransport)(nil)

// NewUDPTransport binds a UDP socket on listenAddr ("host:port"). Port 0
// picks a free port; LocalAddr reports the one chosen. An empty host or
// 0.0.0.0 listens on all interfaces (IPv4 and, where the system allows it,
// IPv6). An address that is not "host:port" or does not resolve is an
// error wrapping ErrInvalidConfig; one that cannot be bound (in use, not
// this host's) is not.
func NewUDPTransport(listenAddr string) (*UDPTransport, error) {
	if err := checkAddr(listenAddr, addrListen); err != nil {
		return nil, configError("listen address %v", err)
	}
	laddr, err := net.ResolveUDPAddr("udp", listenAddr)
	if err != nil {
		return nil, configError("resolve listen address %q: %v", listenAddr, err)
	}
	conn, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, fmt.Errorf("scuttlebutt: listen on %q: %w", listenAddr, err)
	}
	// Best effort: a larger receive buffer absorbs bursts while the reader
	// is busy; the kernel may silently cap either value.
	_ = conn.SetReadBuffer(udpReadBuffer)
	_ = conn.SetWriteBuffer(udpWriteBuffer)

	bound := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	ip := bound.Addr().Unmap()
	if ip.IsUnspecified() && laddr.IP.To4() != nil {
		// Go serves "0.0.0.0" with a dual-stack socket that reports "[::]";
		// keep the family the caller asked for.
		ip = netip.IPv4Unspecified()
	}
	return &UDPTransport{
		conn:  conn,
		local: netip.AddrPortFrom(ip, bound.Port()).String(),
	}, nil
}

// LocalAddr returns the bound address as "ip:port" ("[ip]:port" for IPv6),
// with the actual port when the transport was created with port 0. A
// wildcard bind reports "0.0.0.0:port" or "[::]:port".
func (t *UDPTransport) LocalAddr() string { return t.local }

// WriteTo sends b as one datagram to addr. addr is "ip:port" or
// "hostname:port"; names are resolved on every call, so callers that send to
// a name repeatedly should resolve it once themselves. IPv4-mapped IPv6
// addresses are treated as IPv4. A datagram longer than the path allows
// (65,507 bytes over IPv4) fails. Errors wrap their cause; after Close they
// wrap net.ErrClosed.
func (t *UDPTransport) WriteTo(b []byte, addr string) error {
	if t.closed.Load() {
		return fmt.Errorf("scuttlebutt: udp write to %s: %w", addr, net.ErrClosed)
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		ua, rerr := net.ResolveUDPAddr("udp", addr)
		if rerr != nil {
			return fmt.Errorf("scuttlebutt: resolve %q: %w", addr, rerr)
		}
		ap = ua.AddrPort()
	}
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())

	_, err = t.conn.WriteToUDPAddrPort(b, ap)
	if err != nil && isTransientUDPError(err) {
		// A pending asynchronous error (typically ECONNREFUSED from an ICMP
		// port unreachable answering an earlier datagram, possibly to
		// another peer) is reported by, and consumed by, the next send,
		// which then sends nothing. Try once more for this datagram.
		_, err = t.conn.WriteToUDPAddrPort(b, ap)
	}
	if err != nil {
		return fmt.Errorf("scuttlebutt: udp write: %w", err)
	}
	return nil
}

// ReadFrom blocks until a datagram arrives, copies it into b and returns its
// length and the sender as "ip:port" (IPv4 senders in plain IPv4 form, e.g.
// "127.0.0.1:5000", even on a dual-stack socket).
//
// A datagram longer than b is truncated to len(b) without error, so a caller
// that must detect oversized datagrams reads with a buffer one byte longer
// than its limit.
//
// Transient socket errors, such as ECONNREFUSED left by an ICMP port
// unreachable answering an earlier send, are skipped and reading continues.
// After Close it returns an error wrapping net.ErrClosed. Any other error is
// returned wrapped and the socket is left open: the caller decides whether
// to read again.
func (t *UDPTransport) ReadFrom(b []byte) (int, string, error) {
	for {
		n, ap, err := t.conn.ReadFromUDPAddrPort(b)
		if err == nil {
			return n, netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port()).String(), nil
		}
		switch {
		case errors.Is(err, net.ErrClosed):
		case t.closed.Load():
			err = net.ErrClosed
		case isTransientUDPError(err):
			continue
		}
		return 0, "", fmt.Errorf("scuttlebutt: udp read: %w", err)
	}
}

// Close closes the socket and unblocks ReadFrom. Calling it again does
// nothing and returns the first call's result.
func (t *UDPTransport) Close() error {
	t.closeOnce.Do(func() {
		t.closed.Store(true)
		t.closeErr = t.conn.Close()
	})
	return t.closeErr
}

// isTransientUDPError reports whether err is a socket error after which the
// socket remains perfectly usable: asynchronous ICMP reports about earlier
// datagrams, routing hiccups and momentary buffer shortages.
func isTransientUDPError(err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	switch errno {
	case syscall.ECONNREFUSED, // ICMP port unreachable
		syscall.ECONNRESET,   // the same, on some systems
		syscall.EHOSTUNREACH, // ICMP host unreachable
		syscall.ENETUNREACH,  // ICMP net unreachable
		syscall.ENETDOWN,
		syscall.ENETRESET,
		syscall.ETIMEDOUT,
		syscall.EPROTO,
		syscall.ENOBUFS,
		syscall.ENOMEM:
		return true
	}
	return false
}

// advertiseAddr returns the address to advertise to peers for a transport
// bound to bound ("host:port"). A wildcard host (empty, 0.0.0.0 or ::) is
// replaced by the host's primary address: the first global unicast IPv4
// address of an up, non-loopback interface, else the first such IPv6
// address, else 127.0.0.1. Any other address is returned unchanged. It only
// inspects the local interface list and never sends anything.
func advertiseAddr(bound string) (string, error) {
	host, port, err := net.SplitHostPort(bound)
	if err != nil {
		return "", fmt.Errorf("scuttlebutt: advertise address for %q: %w", bound, err)
	}
	if host != "" {
		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.IsUnspecified() {
			return bound, nil
		}
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		ifaces = nil // fall back to loopback below
	}
	return net.JoinHostPort(primaryIP(ifaces).String(), port), nil
}

// primaryIP picks the address advertiseAddr uses for a wildcard bind.
func primaryIP(ifaces []net.Interface) netip.Addr {
	var v6 netip.Addr
	for _, ifi := range ifaces {
		if ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifi.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			var ip netip.Addr
			switch a := a.(type) {
			case *net.IPNet:
				ip, _ = netip.AddrFromSlice(a.IP)
			case *net.IPAddr:
				ip, _ = netip.AddrFromSlice(a.IP)
			}
			ip = ip.Unmap()
			if !ip.IsGlobalUnicast() {
				continue
			}
			if ip.Is4() {
				return ip
			}
			if !v6.IsValid() {
				v6 = ip
			}
		}
	}
	if v6.IsValid() {
		return v6
	}
	return netip.AddrFrom4([4]byte{127, 0, 0, 1})
}
