package gossip

import "errors"

// The engine's sentinel errors. Package scuttlebutt exports the same values
// under the same names, so callers of either test them with errors.Is.
var (
	// ErrInvalidConfig is wrapped by every configuration error.
	ErrInvalidConfig = errors.New("scuttlebutt: invalid config")
	// ErrInvalidKey is returned for an empty key or one longer than
	// MaxKeyLength.
	ErrInvalidKey = errors.New("scuttlebutt: invalid key")
	// ErrTooLarge is returned for a key/value that could never fit in one
	// datagram of the configured MaxPacketSize.
	ErrTooLarge = errors.New("scuttlebutt: entry too large for one datagram")
	// ErrInvalidTTL is returned for a TTL that is not positive.
	ErrInvalidTTL = errors.New("scuttlebutt: TTL must be positive")
	// ErrJoinTimeout ends a join that no seed answered in time.
	ErrJoinTimeout = errors.New("scuttlebutt: no seed answered")
	// ErrClusterMismatch marks a seed that answered for another cluster.
	ErrClusterMismatch = errors.New("scuttlebutt: seed belongs to another cluster")
	// ErrAuthFailed marks a seed whose datagrams did not authenticate here,
	// or that could not authenticate ours: a key or encryption mismatch.
	ErrAuthFailed = errors.New("scuttlebutt: authentication failed")
)
