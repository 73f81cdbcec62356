package gossip

// Node is a node's identity as the engine reports it.
type Node struct {
	ID   string
	Addr string // advertised gossip address
}

// EventType is the kind of an Event.
type EventType uint8

const (
	// NodeLive: a peer became live (first seen, recovered, restarted).
	NodeLive EventType = iota
	// NodeDead: a peer was convicted, or left.
	NodeDead
	// NodeUpdate: a peer's user keys changed.
	NodeUpdate
	// KeyChanged: one key of some node (this one included) was set,
	// deleted or expired. Reported only while WatchKeys is on.
	KeyChanged
	// NodeConflict: two live incarnations claim one node ID (see
	// conflict.go); Node and Generation name the other claimant.
	NodeConflict
)

// Reason says why a node event happened.
type Reason uint8

const (
	// ReasonNone: no reason given (NodeUpdate, KeyChanged).
	ReasonNone Reason = iota
	// ReasonFirstSeen: a peer seen live for the first time.
	ReasonFirstSeen
	// ReasonRecovered: a peer that was dead is live again.
	ReasonRecovered
	// ReasonRestarted: a peer came back as a new generation.
	ReasonRestarted
	// ReasonSuspected: the failure detector convicted a peer.
	ReasonSuspected
	// ReasonLeft: a peer announced its departure.
	ReasonLeft
	// ReasonCollected: a node's state was removed after
	// DeadNodeGracePeriod (Notice only, no event).
	ReasonCollected
)

// Event is one notification for the driver to dispatch, in the order the
// engine produced them.
type Event struct {
	Type EventType
	// Node is the subject.
	Node Node
	// Generation is the subject's incarnation the event is about.
	Generation uint64
	// Reason says why, for NodeLive and NodeDead.
	Reason Reason
	// Phi is this node's suspicion of the subject when a verdict removed
	// it (NodeDead, ReasonSuspected), if this node observed it (PhiKnown).
	Phi      float64
	PhiKnown bool
	// Key, Value and Deleted describe a KeyChanged event; Value is empty
	// when Deleted.
	Key, Value string
	Deleted    bool
}

// Datagram is an encoded datagram to send.
type Datagram struct {
	To   string
	Data []byte
}
