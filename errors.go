package scuttlebutt

import "errors"

var (
	// ErrTooLarge is returned for a key/value (or metadata entry) that could
	// never fit in one datagram of the configured MaxPacketSize.
	ErrTooLarge = errors.New("scuttlebutt: entry too large for one datagram")
	// ErrShutdown is returned by writes and Join after Shutdown.
	ErrShutdown = errors.New("scuttlebutt: shut down")
	// ErrInvalidConfig is wrapped by every configuration error returned by
	// NewScuttlebutt.
	ErrInvalidConfig = errors.New("scuttlebutt: invalid config")
	// ErrInvalidKey is returned for an empty key or one longer than MaxKeyLength.
	ErrInvalidKey = errors.New("scuttlebutt: invalid key")
)
