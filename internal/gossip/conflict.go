package gossip

import (
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// ID conflicts. A node ID names one process; two processes started with
// the same ID are two incarnations of one node, told apart by their
// generations (start times). The protocol keeps the one with the higher
// generation, as for a restart: every node holds one incarnation per ID,
// the highest it heard of, and ignores the state, heartbeats and
// announcements of older ones. The older process keeps running, but as a
// member of nobody's view; it should be stopped, or started again under
// another ID.
//
// It is reported, as a NodeConflict event whose Node and Generation name
// the other claimant (its address when known):
//
//   - by the older process, as soon as any delta shows the newer
//     incarnation of its ID, or a round after a digest showed it without
//     a delta following (a digest does not say where the newer one runs):
//     it lost. When a delta gives the newer one's address, it sends it a
//     Syn, which tells the newer process in turn;
//   - by the newer process, when a datagram from its ID at an older
//     generation reaches it: a node never sends to its own address, so
//     only another process that knows it sends that;
//   - by every node that holds the newer incarnation and keeps receiving
//     datagrams from the older one, first-hand: a restarted process's last
//     datagrams in flight are not a conflict, so the older one must still be
//     heard conflictConfirm after it was first heard stale.
//
// Each claimant is reported once per node and incarnation.

// conflictConfirm is how long, in gossip intervals, an older incarnation
// must go on sending for its datagrams to be a conflict rather than the
// last ones of a process that restarted.
const conflictConfirm = 2

// maxConflicts bounds the claimants remembered, reported or not.
const maxConflicts = 256

// conflictKey names one incarnation of a node.
type conflictKey struct {
	id  string
	gen uint64
}

// conflictState is what conflict detection remembers.
type conflictState struct {
	reported map[conflictKey]struct{}
	stale    map[conflictKey]int64 // older incarnations heard first-hand: first heard (phi.Params.Mono)
	told     []string              // addresses of newer processes with our ID, told of us
	// listed: newer incarnations of our ID that a digest listed, to
	// report a round later if no delta gave their address meanwhile.
	listed []uint64
}

// claim takes a datagram from addr whose sender, node id, claims
// incarnation gen (0: the message does not say). A datagram from this
// node's own ID is a conflict unless it is this incarnation's, looped back
// through a seed list naming this node.
func (e *Engine) claim(now time.Time, addr, id string, gen uint64) {
	switch n := e.nodes[id]; {
	case gen == 0 || n == nil || gen == n.generation:
	case n == e.self:
		e.reportConflict(id, addr, gen) // a newer process has our ID (we lost), or an older one told us
	case gen < n.generation:
		e.staleClaim(now, conflictKey{id, gen}, addr)
	}
}

// staleClaim takes first-hand news of k, an incarnation older than the one
// held, and reports it once it went on for conflictConfirm intervals.
func (e *Engine) staleClaim(now time.Time, k conflictKey, addr string) {
	c := &e.diag.conflicts
	if _, ok := c.reported[k]; ok {
		return
	}
	m, confirm := e.fd.Mono(now), int64(conflictConfirm*e.cfg.GossipInterval)
	first, ok := c.stale[k]
	switch {
	case ok && m-first >= confirm && m-first <= 5*confirm:
		delete(c.stale, k)
		e.reportConflict(k.id, addr, k.gen)
	case ok && m-first <= 5*confirm:
	default: // first heard, or heard again long after a blip
		if c.stale == nil {
			c.stale = make(map[conflictKey]int64)
		}
		if len(c.stale) >= maxConflicts {
			for x, t := range c.stale {
				if m-t > 5*confirm {
					delete(c.stale, x)
				}
			}
			if len(c.stale) >= maxConflicts {
				return
			}
		}
		c.stale[k] = m
	}
}

// selfInDigest takes a digest entry about this node's ID at another
// generation: a newer one is another process that has our ID.
func (e *Engine) selfInDigest(de *wire.DigestEntry) {
	c := &e.diag.conflicts
	if de.Generation > e.self.generation && !slices.Contains(c.listed, de.Generation) && len(c.listed) < maxConflicts {
		c.listed = append(c.listed, de.Generation)
	}
}

// reportListed reports, each round, the newer incarnations of our ID that
// digests listed and no delta named (with an address) since.
func (e *Engine) reportListed() {
	c := &e.diag.conflicts
	for _, gen := range c.listed {
		e.reportConflict(e.self.id, "", gen)
	}
	c.listed = c.listed[:0]
}

// selfInDelta takes a node delta about this node's ID, as selfInDigest,
// and tells the newer process, at the address the delta gives, of this one.
func (e *Engine) selfInDelta(nd *wire.NodeDelta) {
	if nd.Generation <= e.self.generation {
		return
	}
	e.reportConflict(e.self.id, nd.Addr, nd.Generation)
	c := &e.diag.conflicts
	if a := nd.Addr; a != "" && a != e.self.addr && !slices.Contains(c.told, a) && len(c.told) < maxConflicts {
		c.told = append(c.told, a)
		e.sendSyn(a)
	}
}

// reportConflict emits NodeConflict about claimant gen of node id at addr,
// once.
func (e *Engine) reportConflict(id, addr string, gen uint64) {
	c := &e.diag.conflicts
	k := conflictKey{id, gen}
	if _, ok := c.reported[k]; ok {
		return
	}
	if c.reported == nil {
		c.reported = make(map[conflictKey]struct{})
	}
	if len(c.reported) >= maxConflicts {
		clear(c.reported) // a storm of claimants: report them again
	}
	c.reported[k] = struct{}{}
	e.ready.Events = append(e.ready.Events, Event{Type: NodeConflict, Node: Node{ID: id, Addr: addr}, Generation: gen})
}

// digestGen returns the generation at which digest d lists node id, 0 if
// it does not.
func digestGen(d *wire.Digest, id string) uint64 {
	for i := range d.Entries {
		if d.Entries[i].ID == id {
			return d.Entries[i].Generation
		}
	}
	return 0
}

// deltaGen returns the generation of node id in delta d, 0 if absent.
func deltaGen(d *wire.Delta, id string) uint64 {
	for i := range d.Nodes {
		if d.Nodes[i].ID == id {
			return d.Nodes[i].Generation
		}
	}
	return 0
}
