package scuttlebutt

import (
	"errors"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// The sentinel errors, for errors.Is. Every error the library returns that
// one of them describes wraps it.
var (
	// ErrTooLarge is returned for a key/value (or metadata entry) that could
	// never fit in one datagram of the configured MaxPacketSize.
	ErrTooLarge = gossip.ErrTooLarge
	// ErrShutdown is returned by writes, Join and Leave after Shutdown.
	ErrShutdown = errors.New("scuttlebutt: shut down")
	// ErrInvalidConfig is wrapped by every configuration error returned by
	// NewScuttlebutt.
	ErrInvalidConfig = gossip.ErrInvalidConfig
	// ErrInvalidKey is returned for an empty key or one longer than MaxKeyLength.
	ErrInvalidKey = gossip.ErrInvalidKey
	// ErrInvalidTTL is returned by SetWithTTL for a TTL that is not positive.
	ErrInvalidTTL = gossip.ErrInvalidTTL
	// ErrJoinTimeout is returned by Join when no seed answered in time. The
	// node keeps retrying the seeds in the background while no peer is live.
	ErrJoinTimeout = gossip.ErrJoinTimeout
	// ErrClusterMismatch is wrapped by a join error when a seed answered
	// for another cluster: ClusterID differs between this node and it.
	ErrClusterMismatch = gossip.ErrClusterMismatch
	// ErrAuthFailed is wrapped by a join error when what came from a seed
	// did not authenticate, or the seed could not authenticate what this
	// node sent: SecretKey or Keyring differ (or are set on one side only).
	ErrAuthFailed = gossip.ErrAuthFailed
)
