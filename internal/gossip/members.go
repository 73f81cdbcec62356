package gossip

// MemberStatus is a node's status as Members reports it.
type MemberStatus uint8

const (
	// MemberLive: a member (this node itself included).
	MemberLive MemberStatus = iota
	// MemberDead: removed by a verdict of its observers.
	MemberDead
	// MemberLeft: announced its departure.
	MemberLeft
	// MemberPending: heard of, not admitted yet (see admission.go).
	MemberPending
)

// Member is one node as this node knows it.
type Member struct {
	Node       Node         // its identity
	Status     MemberStatus // what this node believes about it
	Generation uint64       // the incarnation held
	Self       bool         // this node itself
}

// Members returns every node this node holds, itself included, sorted by
// ID: members, pending incarnations, and dead and departed nodes not yet
// collected.
func (e *Engine) Members() []Member {
	out := make([]Member, 0, len(e.sorted))
	for _, n := range e.sorted {
		m := Member{Node: n.node(), Generation: n.generation, Self: n == e.self}
		switch {
		case n == e.self && e.leave.version > 0:
			m.Status = MemberLeft
		case n.status == statusLive:
			m.Status = MemberLive
		case n.status == statusDead:
			m.Status = MemberDead
		case n.status == statusLeft:
			m.Status = MemberLeft
		default:
			m.Status = MemberPending
		}
		out = append(out, m)
	}
	return out
}
