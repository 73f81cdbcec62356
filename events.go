package scuttlebutt

import (
	"fmt"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// NodeEventType is the kind of a NodeEvent.
type NodeEventType int

const (
	// NodeLive means a peer became live: first seen, recovered, or
	// restarted as a new generation (see EventReason).
	NodeLive NodeEventType = iota
	// NodeDead means a peer was convicted by the failure detector, left,
	// or was replaced by its own restart.
	NodeDead
	// NodeUpdate means a peer's key/value state changed.
	NodeUpdate
	// NodeConflict means two running processes claim one node ID: Node and
	// Generation name the other claimant (see the README's "ID
	// conflicts"). The one with the higher generation wins everywhere; the
	// other should be stopped, or started again under another ID. It is
	// delivered only to a NodeEventNotifier (a ChannelEvent is one), and
	// always logged.
	NodeConflict
)

// String returns "live", "dead", "update" or "conflict".
func (t NodeEventType) String() string {
	switch t {
	case NodeLive:
		return "live"
	case NodeDead:
		return "dead"
	case NodeUpdate:
		return "update"
	case NodeConflict:
		return "conflict"
	}
	return fmt.Sprintf("NodeEventType(%d)", int(t))
}

// EventReason says why a NodeLive or NodeDead happened.
type EventReason int

const (
	// ReasonNone is the reason of the events that need none: NodeUpdate,
	// NodeConflict.
	ReasonNone EventReason = iota
	// ReasonFirstSeen: a NodeLive about a node never live here before.
	ReasonFirstSeen
	// ReasonRecovered: a NodeLive about a node that was dead here, back
	// (a node removed by its observers rejoins as a new generation that
	// keeps its keys).
	ReasonRecovered
	// ReasonRestarted: the node's process restarted (a new generation with
	// new keys): a NodeDead about the old generation, then a NodeLive
	// about the new one, or a NodeLive alone when the old one was dead
	// already.
	ReasonRestarted
	// ReasonSuspected: a NodeDead of the failure detector: the node's
	// observers stopped hearing its heartbeats.
	ReasonSuspected
	// ReasonLeft: a NodeDead about a node that left gracefully (Leave).
	ReasonLeft
	// ReasonCollected: a dead or departed node's state was removed after
	// DeadNodeGracePeriod, after which Members no longer lists it. No event
	// is delivered for it (its NodeDead came earlier); it is logged.
	ReasonCollected
)

// String returns "first seen", "recovered", "restarted", "suspected dead",
// "left", "collected", or "" for ReasonNone.
func (r EventReason) String() string {
	switch r {
	case ReasonNone:
		return ""
	case ReasonFirstSeen:
		return "first seen"
	case ReasonRecovered:
		return "recovered"
	case ReasonRestarted:
		return "restarted"
	case ReasonSuspected:
		return "suspected dead"
	case ReasonLeft:
		return "left"
	case ReasonCollected:
		return "collected"
	}
	return fmt.Sprintf("EventReason(%d)", int(r))
}

// NodeEvent is an event related to a peer's activity.
type NodeEvent struct {
	// Event is what happened.
	Event NodeEventType
	// Node is the peer it happened to.
	Node Node
	// Reason says why, for NodeLive and NodeDead.
	Reason EventReason
	// Generation is the incarnation of Node the event is about (its start
	// time in nanoseconds, plus a count of rejoins in the lowest byte): a
	// restart's NodeDead carries the old generation, its NodeLive the new.
	Generation uint64
}

// String renders the event, for logs: "dead node-b at 10.0.0.2:9111
// (suspected dead, generation 1796117377236983399)".
func (e NodeEvent) String() string {
	s := fmt.Sprintf("%v %s", e.Event, e.Node.ID)
	if e.Node.GossipPublicAddress != "" {
		s += " at " + e.Node.GossipPublicAddress
	}
	switch {
	case e.Reason != ReasonNone && e.Generation != 0:
		s += fmt.Sprintf(" (%v, generation %d)", e.Reason, e.Generation)
	case e.Reason != ReasonNone:
		s += fmt.Sprintf(" (%v)", e.Reason)
	case e.Generation != 0:
		s += fmt.Sprintf(" (generation %d)", e.Generation)
	}
	return s
}

// NotifyEvent receives notifications about nodes joining, updating their
// state and leaving the cluster.
//
// The methods are called from a single dispatcher goroutine, one call at a
// time, in the order the events happened, so the events of one node are
// always seen in order: for each incarnation of a node, its NodeLive comes
// before any NodeUpdate of it, and before any of its key changes reaches a
// Subscribe callback (a restart's NodeLive comes before its new keys). The
// gossip protocol never waits for them: events queue up while a call is in
// progress, and a slow or blocked implementation only delays later
// notifications. While notifications lag, a node's consecutive updates
// (with no other event of that node in between) that are still queued
// collapse into one NotifyUpdate; nothing else is dropped or reordered.
//
// A NotifyEvent that also implements NodeEventNotifier gets each event
// whole instead, with its reason and generation, and NodeConflict events.
type NotifyEvent interface {
	// NotifyLive is invoked when a node becomes live.
	NotifyLive(Node)
	// NotifyDead is invoked when a node becomes dead.
	NotifyDead(Node)
	// NotifyUpdate is invoked when a node updates its key/value state.
	NotifyUpdate(Node)
}

// NodeEventNotifier is implemented by a NotifyEvent that wants every event
// whole: the dispatcher then calls NotifyNodeEvent, for NodeConflict events
// too, instead of NotifyLive, NotifyDead and NotifyUpdate, with the same
// ordering guarantees.
type NodeEventNotifier interface {
	// NotifyNodeEvent is invoked for every event, in order.
	NotifyNodeEvent(NodeEvent)
}

// ChannelEvent is a NotifyEvent that delivers events on a channel, whole
// (with Reason and Generation, and NodeConflict events: it is a
// NodeEventNotifier). Each send blocks until the event is received, which
// holds back all later notifications (but never the gossip protocol): read
// the channel promptly or give it a buffer. The channel is never closed
// (several nodes may share it); a send still blocked at Shutdown is
// abandoned. NewScuttlebutt refuses a ChannelEvent with a nil channel.
type ChannelEvent struct {
	// Ch receives the events.
	Ch chan<- NodeEvent
}

var _ NodeEventNotifier = (*ChannelEvent)(nil)

// NotifyLive sends a NodeLive event on the channel.
func (c *ChannelEvent) NotifyLive(n Node) { c.Ch <- NodeEvent{Event: NodeLive, Node: n} }

// NotifyDead sends a NodeDead event on the channel.
func (c *ChannelEvent) NotifyDead(n Node) { c.Ch <- NodeEvent{Event: NodeDead, Node: n} }

// NotifyUpdate sends a NodeUpdate event on the channel.
func (c *ChannelEvent) NotifyUpdate(n Node) { c.Ch <- NodeEvent{Event: NodeUpdate, Node: n} }

// NotifyNodeEvent sends ev on the channel.
func (c *ChannelEvent) NotifyNodeEvent(ev NodeEvent) { c.Ch <- ev }

// dispatch hands the engine's events to the dispatcher, in order: node
// events to NotifyEvent, key changes to the subscriptions, and logs the
// membership changes. sb.mu must be held.
func (sb *Scuttlebutt) dispatch(evs []gossip.Event) {
	for _, ev := range evs {
		n := publicNode(ev.Node)
		switch ev.Type {
		case gossip.NodeLive, gossip.NodeDead, gossip.NodeUpdate, gossip.NodeConflict:
			sb.logEvent(&ev)
			sb.disp.push(NodeEvent{Event: eventType(ev.Type), Node: n, Reason: eventReason(ev.Reason), Generation: ev.Generation})
		case gossip.KeyChanged:
			sb.disp.pushChanges(sb.subs, []KeyChange{{Node: n, Key: ev.Key, Value: ev.Value, Deleted: ev.Deleted}})
		}
	}
}

// eventType converts an engine event type (not KeyChanged).
func eventType(t gossip.EventType) NodeEventType {
	switch t {
	case gossip.NodeDead:
		return NodeDead
	case gossip.NodeUpdate:
		return NodeUpdate
	case gossip.NodeConflict:
		return NodeConflict
	}
	return NodeLive
}

// eventReason converts an engine reason.
func eventReason(r gossip.Reason) EventReason {
	switch r {
	case gossip.ReasonFirstSeen:
		return ReasonFirstSeen
	case gossip.ReasonRecovered:
		return ReasonRecovered
	case gossip.ReasonRestarted:
		return ReasonRestarted
	case gossip.ReasonSuspected:
		return ReasonSuspected
	case gossip.ReasonLeft:
		return ReasonLeft
	case gossip.ReasonCollected:
		return ReasonCollected
	}
	return ReasonNone
}

func publicNode(n gossip.Node) Node { return Node{ID: n.ID, GossipPublicAddress: n.Addr} }

func publicNodes(ns []gossip.Node) []Node {
	out := make([]Node, len(ns))
	for i, n := range ns {
		out[i] = publicNode(n)
	}
	return out
}
