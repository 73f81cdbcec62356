package scuttlebutt

import "github.com/scuttlego/scuttlebutt/internal/gossip"

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
	// Event is what happened.
	Event NodeEventType
	// Node is the peer it happened to.
	Node Node
}

// NotifyEvent receives notifications about nodes joining, updating their
// state and leaving the cluster.
//
// The methods are called from a single dispatcher goroutine, one call at a
// time, in the order the events happened, so the events of one node are
// always seen in order. The gossip protocol never waits for them: events
// queue up while a call is in progress, and a slow or blocked implementation
// only delays later notifications. While notifications lag, a node's
// consecutive updates (with no Live or Dead of that node in between) that
// are still queued collapse into one NotifyUpdate; nothing else is dropped
// or reordered.
type NotifyEvent interface {
	// NotifyLive is invoked when a node becomes live.
	NotifyLive(Node)
	// NotifyDead is invoked when a node becomes dead.
	NotifyDead(Node)
	// NotifyUpdate is invoked when a node updates its key/value state.
	NotifyUpdate(Node)
}

// ChannelEvent is a NotifyEvent that delivers events on a channel. Each send
// blocks until the event is received, which holds back all later
// notifications (but never the gossip protocol): read the channel promptly
// or give it a buffer.
type ChannelEvent struct {
	// Ch receives the events.
	Ch chan<- NodeEvent
}

// NotifyLive sends a NodeLive event on the channel.
func (c *ChannelEvent) NotifyLive(n Node) { c.Ch <- NodeEvent{Event: NodeLive, Node: n} }

// NotifyDead sends a NodeDead event on the channel.
func (c *ChannelEvent) NotifyDead(n Node) { c.Ch <- NodeEvent{Event: NodeDead, Node: n} }

// NotifyUpdate sends a NodeUpdate event on the channel.
func (c *ChannelEvent) NotifyUpdate(n Node) { c.Ch <- NodeEvent{Event: NodeUpdate, Node: n} }

// dispatch hands the engine's events to the dispatcher, in order: node
// events to NotifyEvent, key changes to the subscriptions. sb.mu must be
// held.
func (sb *Scuttlebutt) dispatch(evs []gossip.Event) {
	for _, ev := range evs {
		n := publicNode(ev.Node)
		switch ev.Type {
		case gossip.NodeLive:
			sb.disp.push(NodeEvent{Event: NodeLive, Node: n})
		case gossip.NodeDead:
			sb.disp.push(NodeEvent{Event: NodeDead, Node: n})
		case gossip.NodeUpdate:
			sb.disp.push(NodeEvent{Event: NodeUpdate, Node: n})
		case gossip.KeyChanged:
			sb.disp.pushChanges(sb.subs, []KeyChange{{Node: n, Key: ev.Key, Value: ev.Value, Deleted: ev.Deleted}})
		}
	}
}

func publicNode(n gossip.Node) Node { return Node{ID: n.ID, GossipPublicAddress: n.Addr} }

func publicNodes(ns []gossip.Node) []Node {
	out := make([]Node, len(ns))
	for i, n := range ns {
		out[i] = publicNode(n)
	}
	return out
}
