// Package scuttlebutt is the API of go-scuttlebutt, written out as Go
// declarations from its documentation (../shared/reference/
// go-scuttlebutt-api.txt in the project's seed documents). TestAPI checks
// with apidiff that code written against it compiles against this
// library: every change from it to the real package must be compatible.
package scuttlebutt

import (
	"log"
	"time"
)

// ChannelEvent is used to receive events.
type ChannelEvent struct {
	Ch chan<- NodeEvent
}

func (c *ChannelEvent) NotifyDead(n Node)   {}
func (c *ChannelEvent) NotifyLive(n Node)   {}
func (c *ChannelEvent) NotifyUpdate(n Node) {}

// Config configures a node.
type Config struct {
	ClusterID             string
	Node                  Node
	GossipNodes           int
	GossipInterval        time.Duration
	ListenAddr            string
	FailureDetectorConfig *FailureDetectorConfig
	Logger                *log.Logger
	Events                NotifyEvent
	EnableCompression     bool
	SecretKey             []byte
}

func DefaultLANConfig() *Config { return nil }
func DefaultWANConfig() *Config { return nil }

// FailureDetectorConfig configures the phi accrual failure detector.
type FailureDetectorConfig struct {
	PhiThreshold             float64
	SamplingWindowSize       uint
	MinStdDeviation          time.Duration
	AcceptableHeartbeatPause time.Duration
	FirstHeartbeatEstimate   time.Duration
	DeadNodeGracePeriod      time.Duration
}

func FailureDetectorDefaultConfig() *FailureDetectorConfig { return nil }

// Node represents a node in the cluster.
type Node struct {
	ID                  string
	GossipPublicAddress string
}

// NodeEvent is an event related to node activity.
type NodeEvent struct {
	Event NodeEventType
	Node  Node
}

// NodeEventType are the types that can be sent over the ChannelEvent.
type NodeEventType int

const (
	NodeLive NodeEventType = iota
	NodeDead
	NodeUpdate
)

// NotifyEvent is used to receive notifications about nodes.
type NotifyEvent interface {
	NotifyLive(Node)
	NotifyDead(Node)
	NotifyUpdate(Node)
}

// Scuttlebutt is a scuttlebutt instance returned by NewScuttlebutt.
type Scuttlebutt struct {
	state map[string]string // unexported fields (state and locks): not comparable
}

func NewScuttlebutt(config *Config, metadata map[string]string) (*Scuttlebutt, error) {
	return nil, nil
}

func (sb *Scuttlebutt) Join(seedNodes []string) error { return nil }
func (sb *Scuttlebutt) Set(key, value string) error   { return nil }
func (sb *Scuttlebutt) Shutdown() error               { return nil }
