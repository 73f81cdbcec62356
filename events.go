package scuttlebutt

// NodeEventType is the kind of a NodeEvent.
type NodeEventType int

const (
	// NodeLive means a peer became live: first seen, or recovered.
	NodeLive NodeEventType = iota
	// NodeDead means a peer was convicted by the failure detector, or left.
	NodeDead
	// NodeUpdate means a peer's key/value state changed.
	NodeUpdate
)

// NodeEvent is an event related to a peer's activity.
type NodeEvent struct {
	Event NodeEventType
	Node  Node
}

// NotifyEvent receives notifications about nodes joining, updating their
// state and leaving the cluster.
type NotifyEvent interface {
	// NotifyLive is invoked when a node becomes live.
	NotifyLive(Node)
	// NotifyDead is invoked when a node becomes dead.
	NotifyDead(Node)
	// NotifyUpdate is invoked when a node updates its key/value state.
	NotifyUpdate(Node)
}

// ChannelEvent delivers events on a channel.
type ChannelEvent struct {
	Ch chan<- NodeEvent
}

// NotifyLive sends a NodeLive event on the channel.
func (c *ChannelEvent) NotifyLive(n Node) { c.Ch <- NodeEvent{Event: NodeLive, Node: n} }

// NotifyDead sends a NodeDead event on the channel.
func (c *ChannelEvent) NotifyDead(n Node) { c.Ch <- NodeEvent{Event: NodeDead, Node: n} }

// NotifyUpdate sends a NodeUpdate event on the channel.
func (c *ChannelEvent) NotifyUpdate(n Node) { c.Ch <- NodeEvent{Event: NodeUpdate, Node: n} }
