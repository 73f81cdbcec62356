package scuttlebutt

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log"
	"log/slog"
	"os"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
	"github.com/scuttlego/scuttlebutt/internal/phi"
)

const (
	// DefaultMaxPacketSize is the datagram limit used when Config.MaxPacketSize
	// is 0: it fits a 1500-byte Ethernet MTU with room for IP/UDP headers and
	// tunnels, so no datagram is ever fragmented.
	DefaultMaxPacketSize = gossip.DefaultMaxPacketSize
	// MinPacketSize and MaxPacketSizeLimit bound Config.MaxPacketSize.
	MinPacketSize = gossip.MinPacketSize
	// MaxPacketSizeLimit is the largest UDP payload over IPv4.
	MaxPacketSizeLimit = gossip.MaxPacketSizeLimit
	// MaxIDLength bounds Node.ID and ClusterID, in bytes.
	MaxIDLength = gossip.MaxIDLength
	// MaxKeyLength bounds a key, in bytes.
	MaxKeyLength = gossip.MaxKeyLength
)

// Config is the configuration of a Scuttlebutt instance. NewScuttlebutt reads
// it and never modifies it. The fields of go-scuttlebutt's Config come
// first, in their order; this library's additions follow.
type Config struct {
	// ClusterID is the ID of the cluster this node is part of, at most
	// MaxIDLength bytes. Datagrams of other clusters are dropped, and a
	// seed of another cluster makes Join fail with ErrClusterMismatch.
	// Empty means DefaultClusterID, so nodes that leave it empty form one
	// cluster with nodes that set "default".
	ClusterID string
	// Node is this node's unique definition. An empty GossipPublicAddress
	// advertises the bound address; any other must be "host:port" with a
	// port from 1 to 65535.
	Node Node
	// GossipNodes sets how many random live peers a node gossips with: a
	// change is pushed to twice GossipNodes of them (and to the node's
	// successor on the first observer ring), and with DisablePush a node
	// starts GossipNodes anti-entropy exchanges per GossipInterval instead
	// of one. 0 means 3.
	GossipNodes int
	// GossipInterval is the interval between gossip rounds; each round also
	// increments this node's heartbeat.
	GossipInterval time.Duration
	// ListenAddr is the "host:port" to listen on when Transport is nil. An
	// empty host listens on every interface; port 0 picks a free port.
	ListenAddr string
	// FailureDetectorConfig configures the phi-accrual detector. Nil means
	// FailureDetectorDefaultConfig().
	FailureDetectorConfig *FailureDetectorConfig
	// Logger is a custom logger. When neither Logger nor StructuredLogger is
	// set, warnings and errors go to os.Stderr.
	Logger *log.Logger
	// Events receives membership notifications (see NotifyEvent). Calls come
	// from a dispatcher goroutine, never from the gossip loop. A
	// ChannelEvent must have a channel.
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

	// StructuredLogger is a structured logger; it takes precedence over Logger.
	StructuredLogger *slog.Logger
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
	// Observers is K, the number of observers that watch each member with
	// direct heartbeats; a member is removed when H of them alert about it
	// (see the README's Failure detection). 0 means DefaultObservers (10).
	// Each node sends K heartbeats a round; everyone watches everyone in a
	// cluster of at most K+1 nodes.
	Observers int
	// DisablePush turns off pushing changes at once: they spread by the
	// periodic anti-entropy exchanges alone, GossipNodes of them a round
	// instead of one. For comparison, and for networks where bursts hurt.
	DisablePush bool
}

// DefaultClusterID is the cluster ID of DefaultLANConfig, and the one used
// when Config.ClusterID is empty.
const DefaultClusterID = "default"

// DefaultObservers is the number of observers of each member when
// Config.Observers is 0.
const DefaultObservers = gossip.DefaultObservers

// DefaultTombstoneGracePeriod is the tombstone lifetime used when
// Config.TombstoneGracePeriod is 0.
const DefaultTombstoneGracePeriod = gossip.DefaultTombstoneGracePeriod

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
	g := gossip.DefaultConfig()
	return &Config{
		ClusterID:             DefaultClusterID,
		Node:                  Node{ID: defaultNodeID()},
		GossipNodes:           g.GossipNodes,
		GossipInterval:        g.GossipInterval,
		ListenAddr:            "0.0.0.0:9111",
		FailureDetectorConfig: FailureDetectorDefaultConfig(),
		EnableCompression:     g.Compression,
		MaxPacketSize:         g.MaxPacketSize,
		TombstoneGracePeriod:  g.TombstoneGracePeriod,
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
	g := gossip.DefaultConfig()
	d := g.Detector
	return &FailureDetectorConfig{
		PhiThreshold:             d.PhiThreshold,
		SamplingWindowSize:       d.SamplingWindowSize,
		MinStdDeviation:          d.MinStdDeviation,
		AcceptableHeartbeatPause: d.AcceptableHeartbeatPause,
		FirstHeartbeatEstimate:   d.FirstHeartbeatEstimate,
		DeadNodeGracePeriod:      g.DeadNodeGracePeriod,
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

// normalized returns a copy of c with defaults filled in, checking what the
// engine does not know about (the transport, the key and keyring). It never
// modifies c. The engine validates the rest (see engineConfig).
func (c *Config) normalized() (*Config, error) {
	if c == nil {
		return nil, configError("nil config")
	}
	n := *c
	if n.ClusterID == "" {
		n.ClusterID = DefaultClusterID
	}
	if n.GossipNodes == 0 {
		n.GossipNodes = gossip.DefaultConfig().GossipNodes
	}
	if n.MaxPacketSize == 0 {
		n.MaxPacketSize = DefaultMaxPacketSize
	}
	if n.TombstoneGracePeriod == 0 {
		n.TombstoneGracePeriod = DefaultTombstoneGracePeriod
	}
	if n.Observers == 0 {
		n.Observers = DefaultObservers
	}
	switch len(n.SecretKey) {
	case 0, 16, 24, 32:
	default:
		return nil, configError("SecretKey must be 16, 24 or 32 bytes, got %d", len(n.SecretKey))
	}
	if n.Keyring != nil && len(n.SecretKey) == 0 && n.Keyring.PrimaryKey() == nil {
		return nil, configError("Keyring holds no key")
	}
	if n.Transport == nil && n.ListenAddr == "" {
		return nil, configError("empty ListenAddr and no Transport")
	}
	if n.Transport == nil {
		if err := checkAddr(n.ListenAddr, addrListen); err != nil {
			return nil, configError("ListenAddr %v", err)
		}
	}
	if a := n.Node.GossipPublicAddress; a != "" {
		if err := checkAddr(a, addrPeer); err != nil {
			return nil, configError("GossipPublicAddress %v", err)
		}
	}
	if ce, ok := n.Events.(*ChannelEvent); ok && (ce == nil || ce.Ch == nil) {
		return nil, configError("Events is a ChannelEvent without a channel")
	}
	fd := FailureDetectorDefaultConfig()
	if n.FailureDetectorConfig != nil {
		fd = n.FailureDetectorConfig.withDefaults()
	}
	n.FailureDetectorConfig = fd
	return &n, nil
}

// withDefaults returns a copy of f in which zero fields take their defaults
// (AcceptableHeartbeatPause excepted: 0 means no pause).
func (f *FailureDetectorConfig) withDefaults() *FailureDetectorConfig {
	d := FailureDetectorDefaultConfig()
	n := *f
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
	return &n
}

// engineConfig converts a normalized configuration for the engine, which
// validates it (gossip.Config.Validate). kr is the keyring datagrams are
// sealed with, nil without encryption.
func (c *Config) engineConfig(kr *Keyring) gossip.Config {
	fd := c.FailureDetectorConfig
	g := gossip.Config{
		ClusterID:            c.ClusterID,
		ID:                   c.Node.ID,
		GossipNodes:          c.GossipNodes,
		GossipInterval:       c.GossipInterval,
		MaxPacketSize:        c.MaxPacketSize,
		Compression:          c.EnableCompression,
		TombstoneGracePeriod: c.TombstoneGracePeriod,
		Detector: phi.Config{
			PhiThreshold:             fd.PhiThreshold,
			SamplingWindowSize:       fd.SamplingWindowSize,
			MinStdDeviation:          fd.MinStdDeviation,
			AcceptableHeartbeatPause: fd.AcceptableHeartbeatPause,
			FirstHeartbeatEstimate:   fd.FirstHeartbeatEstimate,
		},
		DeadNodeGracePeriod: fd.DeadNodeGracePeriod,
		Observers:           c.Observers,
		DisablePush:         c.DisablePush,
	}
	if kr != nil {
		g.Keyring = &kr.k
	}
	return g
}
