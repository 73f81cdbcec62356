package gossip

import (
	"time"

	"github.com/scuttlego/scuttlebutt/internal/phi"
)

// NodeVersion says how current this node's copy of some node's state is, as
// far as gossip has shown it. Every write of a node takes the node's next
// version, so a copy holding version Held holds every write up to it.
//
// A copy is behind while Seen > Held: some peer has shown a newer version,
// which is on its way. Held == Seen does not prove the copy is the latest
// (a newer write may not have reached any peer this node heard from);
// SeenAt tells how recently a peer confirmed it: the last time a digest
// received from any peer (the node itself included) listed this incarnation
// at Held or above, or a peer's view was found equal to this node's (its
// fingerprint matched: sum.go). A caller that needs "as complete as this node can tell"
// checks, for each member, Held == Seen and a recent SeenAt.
type NodeVersion struct {
	// Generation is the incarnation held.
	Generation uint64
	// Held is the highest version of the node's state held here.
	Held uint64
	// Seen is the highest version of this incarnation that any received
	// digest or delta listed; at least Held.
	Seen uint64
	// SeenAt is when a received digest last listed this incarnation at
	// Held or above; zero if none did since it was first heard of. For
	// the local node it is the time of the call.
	SeenAt time.Time
}

// NodeVersion returns how current this node's copy of node id's state is
// (this node's own ID included), and whether the node is known.
func (e *Engine) NodeVersion(id string, now time.Time) (NodeVersion, bool) {
	n := e.nodes[id]
	if n == nil {
		return NodeVersion{}, false
	}
	v := NodeVersion{Generation: n.generation, Held: n.maxVersion, Seen: max(n.seenVersion, n.maxVersion)}
	switch {
	case n == e.self:
		v.SeenAt = now
	case e.confirmedAt(n) != phi.NoTime:
		v.SeenAt = e.fd.At(e.confirmedAt(n))
	}
	return v, true
}
