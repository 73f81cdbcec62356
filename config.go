package scuttlebutt

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"
)

const (
	// DefaultMaxPacketSize is the datagram limit used when Config.MaxPacketSize
	// is 0: it fits a 1500-byte Ethernet MTU with room for IP/UDP headers and
	// tunnels, so no datagram is ever fragmented.
	DefaultMaxPacketSize = 1400
	// MinPacketSize and MaxPacketSizeLimit bound Config.MaxPacketSize.
	MinPacketSize = 512
	// MaxPacketSizeLimit is the largest UDP payload over IPv4.
	MaxPacketSizeLimit = 65507
	// MaxIDLength bounds Node.ID and ClusterID, in bytes.
	MaxIDLength = 128
	// MaxKeyLength bounds a key, in bytes.
	MaxKeyLength = 256
)

// Config is the configuration of a Scuttlebutt instance. NewScuttlebutt reads
// it and never modifies it.
type Config struct {
	// ClusterID is the ID of the cluster this node is part of. Datagrams of
	// other clusters are dropped.
	ClusterID string
	// Node is this node's unique definition. An empty GossipPublicAddress
	// advertises the bound address.
	Node Node
	// GossipNodes is the number of random live peers gossiped with per
	// GossipInterval. 0 means 3.
	GossipNodes int
	// GossipInterval is the interval between gossip rounds; each round also
	// increments this node's heartbeat.
	GossipInterval time.Duration
	// ListenAddr is the "host:port" to listen on when Transport is nil.
	ListenAddr string
	// FailureDetectorConfig configures the phi-accrual detector. Nil means
	// FailureDetectorDefaultConfig().
	FailureDetectorConfig *FailureDetectorConfig
	// Logger is a custom logger. When neither Logger nor StructuredLogger is
	// set, warnings and errors go to os.Stderr.
	Logger *log.Logger
	// StructuredLogger is a structured logger; it takes precedence over Logger.
	StructuredLogger *slog.Logger
	// Events receives membership notifications (see NotifyEvent). Calls come
	// from a dispatcher goroutine, never from the gossip loop.
	Events NotifyEvent
	// EnableCompression compresses datagrams (DEFLATE) when that makes them
	// smaller, and sizes messages for it, so a datagram carries more state.
	// Compressed datagrams are accepted whatever this says.
	EnableCompression bool
	// SecretKey enables encryption: every datagram is authenticated and
	// encrypted with AES-GCM, and anything that fails to authenticate,
	// including plaintext, is dropped (Stats.DroppedAuth). It must be 16, 24
	// or 32 bytes long to select AES-128, AES-192 or AES-256. If Keyring is
	// also set, SecretKey is installed in it as its primary key.
	SecretKey []byte
	// Keyring enables encryption with a set of keys that can be changed while
	// the node runs, to rotate keys without downtime (see Keyring). The node
	// uses this keyring itself, not a copy.
	Keyring *Keyring
	// MaxPacketSize is the largest datagram ever sent or accepted, header
	// included. 0 means DefaultMaxPacketSize.
	MaxPacketSize int
	// Transport carries datagrams. Nil means UDP on ListenAddr.
	Transport Transport
	// TombstoneGracePeriod is how long a deleted key's tombstone is kept
	// before it is collected. A replica that missed the deletion for longer
	// is reset rather than left with the stale key. 0 means
	// DefaultTombstoneGracePeriod.
	TombstoneGracePeriod time.Duration
}

// DefaultTombstoneGracePeriod is the tombstone lifetime used when
// Config.TombstoneGracePeriod is 0.
const DefaultTombstoneGracePeriod = time.Hour

// FailureDetectorConfig configures the phi-accrual failure detector. Zero
// fields take the values of FailureDetectorDefaultConfig, except
// AcceptableHeartbeatPause, for which 0 means no pause.
type FailureDetectorConfig struct {
	// PhiThreshold is the suspicion level above which a node is flagged dead.
	PhiThreshold float64
	// SamplingWindowSize is the number of heartbeat inter-arrival times kept.
	SamplingWindowSize uint
	// MinStdDeviation is the minimum standard deviation used in the
	// calculation of phi. Too low a value makes the detector too sensitive to
	// sudden but normal deviations in heartbeat inter-arrival times.
	MinStdDeviation time.Duration
	// AcceptableHeartbeatPause is the margin of lost or delayed heartbeats
	// tolerated before considering an anomaly, to survive GC pauses, network
	// drops or load.
	AcceptableHeartbeatPause time.Duration
	// FirstHeartbeatEstimate is the assumed heartbeat interval before any
	// interval has been measured.
	FirstHeartbeatEstimate time.Duration
	// DeadNodeGracePeriod is how long a dead node's state is kept before it
	// is removed from the cluster.
	DeadNodeGracePeriod time.Duration
}

// DefaultLANConfig returns a configuration suitable for most LAN
// environments. The node ID is the hostname plus a unique suffix; it listens
// on all interfaces on port 9111 in cluster "default".
func DefaultLANConfig() *Config {
	return &Config{
		ClusterID:             "default",
		Node:                  Node{ID: defaultNodeID()},
		GossipNodes:           3,
		GossipInterval:        time.Second,
		ListenAddr:            "0.0.0.0:9111",
		FailureDetectorConfig: FailureDetectorDefaultConfig(),
		EnableCompression:     true,
		MaxPacketSize:         DefaultMaxPacketSize,
		TombstoneGracePeriod:  DefaultTombstoneGracePeriod,
	}
}

// DefaultWANConfig returns a configuration suitable for WAN environments,
// based on DefaultLANConfig with a wider fanout, a slower interval and a more
// tolerant failure detector.
func DefaultWANConfig() *Config {
	c := DefaultLANConfig()
	c.GossipNodes = 4
	c.GossipInterval = 3 * time.Second
	c.FailureDetectorConfig.PhiThreshold = 12
	c.FailureDetectorConfig.AcceptableHeartbeatPause = 10 * time.Second
	return c
}

// FailureDetectorDefaultConfig returns the default failure detector
// configuration: a crashed node is convicted after about 4.5 s of silence
// with 1 s heartbeats.
func FailureDetectorDefaultConfig() *FailureDetectorConfig {
	return &FailureDetectorConfig{
		PhiThreshold:             8,
		SamplingWindowSize:       1000,
		MinStdDeviation:          100 * time.Millisecond,
		AcceptableHeartbeatPause: 3 * time.Second,
		FirstHeartbeatEstimate:   time.Second,
		DeadNodeGracePeriod:      time.Hour,
	}
}

func defaultNodeID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "node"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:])
}

func configError(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}

// normalized validates c and returns a copy with defaults filled in. It never
// modifies c.
func (c *Config) normalized() (*Config, error) {
	if c == nil {
		return nil, configError("nil config")
	}
	n := *c
	switch {
	case n.Node.ID == "":
		return nil, configError("empty Node.ID")
	case len(n.Node.ID) > MaxIDLength:
		return nil, configError("Node.ID longer than %d bytes", MaxIDLength)
	case len(n.ClusterID) > MaxIDLength:
		return nil, configError("ClusterID longer than %d bytes", MaxIDLength)
	case n.GossipInterval <= 0:
		return nil, configError("GossipInterval must be positive, got %v", n.GossipInterval)
	case n.GossipNodes < 0:
		return nil, configError("GossipNodes must not be negative, got %d", n.GossipNodes)
	case n.GossipNodes == 0:
		n.GossipNodes = DefaultLANConfig().GossipNodes
	}
	switch len(n.SecretKey) {
	case 0, 16, 24, 32:
	default:
		return nil, configError("SecretKey must be 16, 24 or 32 bytes, got %d", len(n.SecretKey))
	}
	if n.Keyring != nil && len(n.SecretKey) == 0 && n.Keyring.PrimaryKey() == nil {
		return nil, configError("Keyring holds no key")
	}
	if n.MaxPacketSize == 0 {
		n.MaxPacketSize = DefaultMaxPacketSize
	}
	if n.MaxPacketSize < MinPacketSize || n.MaxPacketSize > MaxPacketSizeLimit {
		return nil, configError("MaxPacketSize must be in [%d, %d], got %d", MinPacketSize, MaxPacketSizeLimit, n.MaxPacketSize)
	}
	switch {
	case n.TombstoneGracePeriod == 0:
		n.TombstoneGracePeriod = DefaultTombstoneGracePeriod
	case n.TombstoneGracePeriod < 0:
		return nil, configError("TombstoneGracePeriod must not be negative, got %v", n.TombstoneGracePeriod)
	}
	if n.Transport == nil && n.ListenAddr == "" {
		return nil, configError("empty ListenAddr and no Transport")
	}
	fd := FailureDetectorDefaultConfig()
	if n.FailureDetectorConfig != nil {
		var err error
		if fd, err = n.FailureDetectorConfig.normalized(); err != nil {
			return nil, err
		}
	}
	n.FailureDetectorConfig = fd
	return &n, nil
}

// normalized validates f and returns a copy in which zero fields take their
// defaults (AcceptableHeartbeatPause excepted: 0 means no pause).
func (f *FailureDetectorConfig) normalized() (*FailureDetectorConfig, error) {
	d := FailureDetectorDefaultConfig()
	n := *f
	switch {
	case n.PhiThreshold < 0 || n.PhiThreshold != n.PhiThreshold:
		return nil, configError("PhiThreshold must be positive, got %v", n.PhiThreshold)
	case n.MinStdDeviation < 0:
		return nil, configError("MinStdDeviation must not be negative, got %v", n.MinStdDeviation)
	case n.AcceptableHeartbeatPause < 0:
		return nil, configError("AcceptableHeartbeatPause must not be negative, got %v", n.AcceptableHeartbeatPause)
	case n.FirstHeartbeatEstimate < 0:
		return nil, configError("FirstHeartbeatEstimate must not be negative, got %v", n.FirstHeartbeatEstimate)
	case n.DeadNodeGracePeriod < 0:
		return nil, configError("DeadNodeGracePeriod must not be negative, got %v", n.DeadNodeGracePeriod)
	}
	if n.PhiThreshold == 0 {
		n.PhiThreshold = d.PhiThreshold
	}
	if n.SamplingWindowSize == 0 {
		n.SamplingWindowSize = d.SamplingWindowSize
	}
	if n.MinStdDeviation == 0 {
		n.MinStdDeviation = d.MinStdDeviation
	}
	if n.FirstHeartbeatEstimate == 0 {
		n.FirstHeartbeatEstimate = d.FirstHeartbeatEstimate
	}
	if n.DeadNodeGracePeriod == 0 {
		n.DeadNodeGracePeriod = d.DeadNodeGracePeriod
	}
	return &n, nil
}
