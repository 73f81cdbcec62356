package gossip

import (
	"fmt"
	"io"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/phi"
	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Limits of the configuration and of keys.
const (
	// DefaultMaxPacketSize fits a 1500-byte Ethernet MTU with room for
	// IP/UDP headers and tunnels.
	DefaultMaxPacketSize = 1400
	// MinPacketSize and MaxPacketSizeLimit bound Config.MaxPacketSize.
	MinPacketSize = 512
	// MaxPacketSizeLimit is the largest UDP payload over IPv4.
	MaxPacketSizeLimit = 65507
	// MaxIDLength bounds node and cluster IDs, in bytes.
	MaxIDLength = 128
	// MaxKeyLength bounds a key, in bytes.
	MaxKeyLength = 256
	// DefaultTombstoneGracePeriod is how long deletions are remembered by
	// default.
	DefaultTombstoneGracePeriod = time.Hour
)

// Config is what the engine reads. Every field must be set (DefaultConfig
// gives the LAN defaults); New validates it and never modifies it.
type Config struct {
	// ClusterID is carried by every datagram; others' datagrams are dropped.
	ClusterID string
	// ID is this node's unique name.
	ID string
	// GossipNodes is the number of live peers gossiped with per round.
	GossipNodes int
	// GossipInterval is the length of a round; the heartbeat rises once
	// per round.
	GossipInterval time.Duration
	// MaxPacketSize is the largest datagram sent or accepted.
	MaxPacketSize int
	// Compression compresses datagrams when that makes them smaller.
	Compression bool
	// Keyring, when set, encrypts and authenticates every datagram (see
	// package seal). The engine uses it itself and never changes it.
	Keyring *seal.Keyring
	// TombstoneGracePeriod is how long a deletion is remembered.
	TombstoneGracePeriod time.Duration
	// Detector configures the phi-accrual failure detector.
	Detector phi.Config
	// DeadNodeGracePeriod is how long a dead, left or never-confirmed
	// node's state is kept before it is removed.
	DeadNodeGracePeriod time.Duration
	// Observers is K, the number of observers watching each member (see
	// rings.go and verdict.go).
	Observers int
	// DisablePush leaves changes to anti-entropy alone: nothing is pushed,
	// and each round runs GossipNodes exchanges instead of one.
	DisablePush bool
}

// DefaultObservers is K when Config.Observers is not set by a caller of
// DefaultConfig: Rapid's choice, with H = 9 and L = 3.
const DefaultObservers = 10

// MaxObservers bounds Config.Observers.
const MaxObservers = 64

// DefaultConfig returns the LAN defaults for a node of cluster "default"
// with an empty ID, which the caller must set.
func DefaultConfig() Config {
	return Config{
		ClusterID:            "default",
		GossipNodes:          3,
		GossipInterval:       time.Second,
		MaxPacketSize:        DefaultMaxPacketSize,
		Compression:          true,
		TombstoneGracePeriod: DefaultTombstoneGracePeriod,
		Detector:             phi.DefaultConfig(),
		DeadNodeGracePeriod:  time.Hour,
		Observers:            DefaultObservers,
	}
}

// Params are the values a driver chooses for one incarnation of a node.
type Params struct {
	// Addr is the gossip address advertised to peers.
	Addr string
	// Generation identifies the incarnation; it must increase across
	// restarts with the same ID (a start time in nanoseconds does).
	Generation uint64
	// Seed seeds the engine's random source.
	Seed uint64
	// Nonces is the source of AES-GCM nonces, required with a Keyring:
	// crypto/rand.Reader on a real network, seal.SeededNonces in simulation.
	Nonces io.Reader
	// Now is the start time.
	Now time.Time
	// FirstRound is when the first gossip round is due; zero means one
	// GossipInterval after Now.
	FirstRound time.Time
}

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}

// Validate checks every field of c; errors wrap ErrInvalidConfig. A Keyring
// may still be empty here, but must hold a key before the first datagram
// is sealed: a driver that installs a key after New may do so.
func (c *Config) Validate() error {
	fd := &c.Detector
	switch {
	case c.ID == "":
		return configError("empty node ID")
	case len(c.ID) > MaxIDLength:
		return configError("node ID longer than %d bytes", MaxIDLength)
	case len(c.ClusterID) > MaxIDLength || len(c.ClusterID) > wire.MaxClusterIDLen:
		return configError("ClusterID longer than %d bytes", MaxIDLength)
	case c.GossipInterval <= 0:
		return configError("GossipInterval must be positive, got %v", c.GossipInterval)
	case c.GossipNodes < 1:
		return configError("GossipNodes must be at least 1, got %d", c.GossipNodes)
	case c.MaxPacketSize < MinPacketSize || c.MaxPacketSize > MaxPacketSizeLimit:
		return configError("MaxPacketSize must be in [%d, %d], got %d", MinPacketSize, MaxPacketSizeLimit, c.MaxPacketSize)
	case c.TombstoneGracePeriod < 0:
		return configError("TombstoneGracePeriod must not be negative, got %v", c.TombstoneGracePeriod)
	case !(fd.PhiThreshold > 0):
		return configError("PhiThreshold must be positive, got %v", fd.PhiThreshold)
	case fd.SamplingWindowSize < 1:
		return configError("SamplingWindowSize must be at least 1")
	case fd.MinStdDeviation <= 0:
		return configError("MinStdDeviation must be positive, got %v", fd.MinStdDeviation)
	case fd.AcceptableHeartbeatPause < 0:
		return configError("AcceptableHeartbeatPause must not be negative, got %v", fd.AcceptableHeartbeatPause)
	case fd.FirstHeartbeatEstimate <= 0:
		return configError("FirstHeartbeatEstimate must be positive, got %v", fd.FirstHeartbeatEstimate)
	case c.DeadNodeGracePeriod < 0:
		return configError("DeadNodeGracePeriod must not be negative, got %v", c.DeadNodeGracePeriod)
	case c.Observers < 1 || c.Observers > MaxObservers:
		return configError("Observers must be in [1, %d], got %d", MaxObservers, c.Observers)
	}
	return nil
}

// Timing the engine derives from the gossip interval.

// joinTimeout is how long a join waits for a seed to answer.
func (c *Config) joinTimeout() time.Duration {
	return min(max(5*c.GossipInterval, 3*time.Second), 30*time.Second)
}

// joinRetry is how often an unanswered join contacts its seeds again.
func (c *Config) joinRetry() time.Duration {
	return min(max(c.GossipInterval/2, 50*time.Millisecond), time.Second)
}

// leaveRepush is how often an unacknowledged leave is pushed again.
func (c *Config) leaveRepush() time.Duration {
	return min(max(c.GossipInterval/4, 10*time.Millisecond), 250*time.Millisecond)
}
