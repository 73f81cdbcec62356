package gossip

import (
	"time"

	"github.com/scuttlego/scuttlebutt/internal/phi"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Diagnostics: what the engine tells its driver so that the driver can say
// what went wrong (Ready.Notices, Drops) and what the engine's datagrams are
// (DatagramType), for logs. None of it changes what the protocol does.

// diagState is the engine's state for diagnosis: refusal replies sent
// (joindiag.go), ID conflicts seen (conflict.go) and the nodes a leave is
// announced to besides the members (audience.go).
type diagState struct {
	lastUnauth map[string]int64 // address → when it was last told it did not authenticate (phi.Params.Mono)
	conflicts  conflictState
	callers    []caller // recent senders of Syns not held yet (a joiner before its Ack)
	audience   []string // addresses a leave in progress is announced to, besides the members
}

// NoticeKind is the kind of a Notice.
type NoticeKind uint8

const (
	// NoticeRefused: a peer refused this node, or sent what this node
	// cannot accept: Err wraps ErrClusterMismatch or ErrAuthFailed.
	NoticeRefused NoticeKind = iota
	// NoticeCollected: the state of Node at Generation was removed after
	// DeadNodeGracePeriod; Reason is ReasonCollected and Live says whether
	// it had been a member (dead or departed since) or was never admitted.
	NoticeCollected
	// NoticeLoop: this node received one of its own datagrams from Addr:
	// a seed address names this node under another address (a host name
	// that resolves to a loopback alias, for example). It is dropped.
	NoticeLoop
)

// Notice is something worth logging that is no event: it changes nothing
// a NotifyEvent is told about.
type Notice struct {
	Kind NoticeKind
	// Addr is the transport address of the peer (NoticeRefused), or the
	// one this node's own datagram came back from (NoticeLoop).
	Addr string
	// Err says what the peer did (NoticeRefused).
	Err error
	// Node, Generation and Reason name the node a NoticeCollected is
	// about.
	Node       Node
	Generation uint64
	Reason     Reason
	// Live: the node collected had been a member (dead or left since).
	Live bool
}

// notice queues n for the driver.
func (e *Engine) notice(n Notice) { e.ready.Notices = append(e.ready.Notices, n) }

// Drops counts received datagrams dropped, by cause, and the wrong-cluster
// replies received: the counters of Stats a driver compares before and
// after Receive to log each drop with the sender's address.
type Drops struct {
	Malformed, Auth, ClusterMismatch, Oversize, WrongClusterReplies uint64
}

// Drops returns the drop counters; it is cheap enough to call around every
// Receive.
func (e *Engine) Drops() Drops {
	s := &e.stats
	return Drops{
		Malformed: s.DroppedMalformed, Auth: s.DroppedAuth, ClusterMismatch: s.DroppedClusterMismatch,
		Oversize: s.DroppedOversize, WrongClusterReplies: s.WrongClusterReplies,
	}
}

// DatagramType names the message a datagram carries ("syn", "synack",
// "ack", "wrongcluster", "heartbeat", "push", "unauthenticated"), or
// "malformed".
func DatagramType(b []byte) string {
	h, _, err := wire.ParseHeader(b)
	if err != nil {
		return "malformed"
	}
	switch h.Type {
	case wire.MsgSyn:
		return "syn"
	case wire.MsgSynAck:
		return "synack"
	case wire.MsgAck:
		return "ack"
	case wire.MsgWrongCluster:
		return "wrongcluster"
	case wire.MsgHeartbeat:
		return "heartbeat"
	case wire.MsgPush:
		return "push"
	case wire.MsgUnauthenticated:
		return "unauthenticated"
	}
	return "malformed"
}

// noteCollected tells the driver that n's state is being removed after
// DeadNodeGracePeriod.
func (e *Engine) noteCollected(n *nodeState) {
	e.notice(Notice{Kind: NoticeCollected, Node: n.node(), Generation: n.generation, Reason: ReasonCollected, Live: n.wasLive && n.liveGen == n.generation})
}

// emitConviction emits NodeDead about n, removed by a verdict, with this
// node's phi of n when it observed n.
func (e *Engine) emitConviction(n *nodeState, r Reason, now time.Time) {
	e.emit(NodeDead, n, r)
	if n.calm() != phi.NoTime {
		ev := &e.ready.Events[len(e.ready.Events)-1]
		ev.Phi, ev.PhiKnown = e.edgeOf(n).window.Phi(now), true
	}
}
