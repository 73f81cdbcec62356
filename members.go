package scuttlebutt

import (
	"fmt"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// MemberStatus is what a node believes about a member (see Members).
type MemberStatus int

const (
	// MemberLive: a member of the cluster, this node included.
	MemberLive MemberStatus = iota
	// MemberDead: convicted by the failure detector (its observers), or
	// replaced by a restart; listed until collected.
	MemberDead
	// MemberLeft: left gracefully; listed until collected. This node is
	// listed so once it called Leave.
	MemberLeft
	// MemberPending: heard of but not confirmed live yet: learnt from
	// another node's gossip, and admitted once it is heard from itself or
	// after about the failure detector's detection time.
	MemberPending
)

// String returns "live", "dead", "left" or "pending".
func (s MemberStatus) String() string {
	switch s {
	case MemberLive:
		return "live"
	case MemberDead:
		return "dead"
	case MemberLeft:
		return "left"
	case MemberPending:
		return "pending"
	}
	return fmt.Sprintf("MemberStatus(%d)", int(s))
}

// Member is one node as this node knows it.
type Member struct {
	// Node is the node, with the address it advertises.
	Node Node
	// Status is what this node believes about it.
	Status MemberStatus
	// Generation is the incarnation held (its start time in nanoseconds,
	// plus a count of rejoins in the lowest byte).
	Generation uint64
	// Self marks this node.
	Self bool
}

// Members returns every node this node knows, itself included, sorted by
// ID: the live members, the nodes heard of but not confirmed yet
// (MemberPending), and the dead and departed ones not yet collected
// (DeadNodeGracePeriod after they died or left). LiveNodes and DeadNodes
// are views of it.
func (sb *Scuttlebutt) Members() []Member {
	sb.mu.Lock()
	ms := sb.eng.Members()
	sb.mu.Unlock()
	out := make([]Member, len(ms))
	for i, m := range ms {
		out[i] = Member{Node: publicNode(m.Node), Status: memberStatus(m.Status), Generation: m.Generation, Self: m.Self}
	}
	return out
}

// memberStatus converts an engine status.
func memberStatus(s gossip.MemberStatus) MemberStatus {
	switch s {
	case gossip.MemberDead:
		return MemberDead
	case gossip.MemberLeft:
		return MemberLeft
	case gossip.MemberPending:
		return MemberPending
	}
	return MemberLive
}
