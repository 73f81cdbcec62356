package sim

import (
	"sort"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// visibility records, for every increment, when every node but its writer
// first held it. A node holds a write once its copy of the writer's state
// is at the write's version or above (gossip.NodeVersion: a copy at
// version Held holds every write up to it), so the tracker follows, for
// each (node, writer) pair, the version held, which a NodeUpdate event
// announces whenever it rises with the writer's keys.
type visibility struct {
	s       *Sim
	held    [][]uint64   // node index → writer index → version held, as last seen
	pending [][]*pendInc // writer index → increments not yet held everywhere, by version
	times   []int64      // delays of the increments held everywhere, ns
	writes  int          // increments recorded
	last    int64        // when the last increment came to be held everywhere
}

// pendInc is one increment on its way.
type pendInc struct {
	version uint64
	at      int64 // when it was made
	missing int   // running nodes, other than the writer, that do not hold it yet
}

func newVisibility(s *Sim) *visibility {
	v := &visibility{s: s, held: make([][]uint64, s.Len()), pending: make([][]*pendInc, s.Len())}
	for i := range v.held {
		v.held[i] = make([]uint64, s.Len())
	}
	s.OnEvent(v.event)
	return v
}

// wrote records that writer just made an increment, at its current
// version.
func (v *visibility) wrote(w *Node) {
	ver, _, _ := w.core.Versions(w.id)
	missing := 0
	for _, n := range v.s.nodes {
		if n.up && n != w && v.held[n.index][w.index] < ver {
			missing++
		}
	}
	v.writes++
	if missing == 0 {
		v.times = append(v.times, 0)
		v.last = v.s.now
		return
	}
	v.pending[w.index] = append(v.pending[w.index], &pendInc{version: ver, at: v.s.now, missing: missing})
}

func (v *visibility) event(o *Node, ev gossip.Event) {
	if ev.Type != gossip.NodeUpdate || o.index >= len(v.held) {
		return
	}
	wi, ok := v.s.byAddr[ev.Node.Addr]
	if !ok || int(wi) >= len(v.held) {
		return
	}
	w := int(wi)
	ver, _, _ := o.core.Versions(ev.Node.ID)
	was := v.held[o.index][w]
	if ver <= was {
		return
	}
	v.held[o.index][w] = ver
	q := v.pending[w]
	// The increments with a version in (was, ver] are now held by o.
	i := sort.Search(len(q), func(i int) bool { return q[i].version > was })
	for ; i < len(q) && q[i].version <= ver; i++ {
		q[i].missing--
	}
	// Those held everywhere leave the front of the queue, in order:
	// every node holds a writer's versions as a prefix.
	k := 0
	for k < len(q) && q[k].missing <= 0 {
		v.times = append(v.times, v.s.now-q[k].at)
		v.last = v.s.now
		k++
	}
	if k > 0 {
		v.pending[w] = q[k:]
	}
}

// missing returns the number of increments some running node does not
// hold yet.
func (v *visibility) missing() int {
	m := 0
	for _, q := range v.pending {
		m += len(q)
	}
	return m
}
