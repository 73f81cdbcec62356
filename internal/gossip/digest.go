package gossip

import (
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// A digest lists, for each node, (ID, generation, flags, max version, GC
// watermark): enough for the receiver to compute what we lack. The flags
// say whether we hold the incarnation removed, so that a removed node
// learns it must rejoin. About 30 bytes a node, so one 1400-byte datagram
// holds a few dozen. Heartbeats do not travel in digests (see monitor.go),
// so at rest a node's digest entry does not change.
//
// When every node fits, the digest is complete: the receiver may then take an
// absent node as one we have never heard of and send it whole. Otherwise the
// digest is partial and absent nodes mean nothing. A partial digest lists, in
// this order, as many as fit:
//
//  1. ourselves, so peers always learn our latest version first-hand;
//  2. the peer we answer, so it learns how far we hold its own state;
//  3. IDs we saw in peers' digests but hold no state for (generation 0:
//     "send me all of it"), so new nodes spread;
//  4. nodes a peer's digest showed newer than ours, so the peer we talk to
//     next sends them (when we answer a Syn, that includes the nodes in which
//     its sender is ahead: they arrive in the Ack of the same exchange);
//  5. nodes whose versions changed since we last listed them;
//  6. the rest, from a cursor that rotates over all nodes in ID order, so
//     every node is covered every ceil(N/k) digests.
//
// The simulator measures what this buys (see BENCHMARKS.md).

// fullDigestSize returns the size of a complete digest, or -1 when it is
// certainly larger than limit.
func (e *Engine) fullDigestSize(limit int) int {
	// Every entry costs at least its ID plus 6 bytes; skip the exact sum when
	// even that cannot fit.
	if wire.DigestOverhead(len(e.ids))+e.idBytes+6*len(e.ids) > limit {
		return -1
	}
	size := wire.DigestOverhead(len(e.ids))
	for _, n := range e.sorted {
		de := n.digestEntry()
		size += de.Size()
	}
	return size
}

// completeFits reports whether a complete digest fits budget.
func (e *Engine) completeFits(budget int) bool {
	full := e.fullDigestSize(budget)
	return full >= 0 && full <= budget
}

// buildDigest returns a digest of at most budget bytes. answering is the ID
// of the peer whose Syn we answer, or "". The entries live in a buffer that
// the next build reuses: encode the digest first.
//
// A peer we answer whose incarnation we removed and have since collected
// (we hold only its grave) gets an entry flagging it removed, so that it
// learns it must rejoin.
func (e *Engine) buildDigest(budget int, answering string) wire.Digest {
	var told *wire.DigestEntry
	if g, ok := e.graves[answering]; ok && !g.local && e.nodes[answering] == nil {
		told = &wire.DigestEntry{ID: answering, Generation: g.generation, Flags: wire.DigestRemoved}
		budget -= told.Size() + 2 // with room for a longer array header
	}
	d := e.buildDigestOf(budget, answering)
	if told != nil && budget >= 0 {
		d.Entries = append(d.Entries, *told)
		e.digestBuf = d.Entries[:0]
	}
	return d
}

// buildLeanDigest returns a partial digest of at most budget bytes that
// lists only this node, the peer it answers, and the queues (nodes wanted,
// behind, changed): what a peer should send or learn now, without the
// rotation over every node (see answerDigest).
func (e *Engine) buildLeanDigest(budget int, answering string) wire.Digest {
	return e.digestOf(budget, answering, false)
}

func (e *Engine) buildDigestOf(budget int, answering string) wire.Digest {
	return e.digestOf(budget, answering, true)
}

// digestOf builds a digest: complete when it fits and whole is set, else
// partial, rotating over every node after the queues when whole is set.
func (e *Engine) digestOf(budget int, answering string, whole bool) wire.Digest {
	if whole && e.completeFits(budget) {
		d := wire.Digest{Complete: true, Entries: slices.Grow(e.digestBuf[:0], len(e.ids)+1)}
		for _, n := range e.sorted {
			n.changed, n.behind = false, false
			d.Entries = append(d.Entries, n.digestEntry())
		}
		e.changedQ, e.behindQ = e.changedQ[:0], e.behindQ[:0]
		e.digestBuf = d.Entries[:0]
		return d
	}
	b := digestBuilder{budget: budget, size: wire.DigestOverhead(0), seq: e.nextSeq(), entries: e.digestBuf[:0]}
	b.addNode(e.self)
	if n := e.nodes[answering]; n != nil {
		b.addNode(n)
	}
	// IDs we want: consumed once listed, re-queued when seen again.
	i := 0
	for ; i < len(e.wantedQ); i++ {
		id := e.wantedQ[i]
		if _, known := e.nodes[id]; known {
			delete(e.wanted, id)
			continue
		}
		if !b.add(wire.DigestEntry{ID: id}) {
			break
		}
		delete(e.wanted, id)
	}
	e.wantedQ = e.wantedQ[i:]
	e.behindQ = e.drainQueue(&b, e.behindQ, func(n *nodeState) bool { return n.behind }, func(n *nodeState) { n.behind = false })
	e.changedQ = e.drainQueue(&b, e.changedQ, func(n *nodeState) bool { return n.changed }, func(n *nodeState) { n.changed = false })
	for range e.ids {
		if b.full || !whole {
			break
		}
		e.cursor %= len(e.ids)
		n := e.sorted[e.cursor]
		if n.listed != b.seq && !b.addNode(n) {
			break
		}
		e.cursor++
	}
	e.digestBuf = b.entries[:0]
	return wire.Digest{Entries: b.entries}
}

// drainQueue lists queued nodes while they fit and returns what is left.
func (e *Engine) drainQueue(b *digestBuilder, q []string, flagged func(*nodeState) bool, unflag func(*nodeState)) []string {
	i := 0
	for ; i < len(q) && !b.full; i++ {
		n := e.nodes[q[i]]
		if n == nil || !flagged(n) {
			continue
		}
		if n.listed != b.seq && !b.addNode(n) {
			break
		}
		unflag(n)
	}
	return q[i:]
}

// nextSeq returns a fresh mark to tag the nodes listed in one build.
func (e *Engine) nextSeq() uint64 {
	e.seq++
	return e.seq
}

// digestBuilder accumulates entries within a byte budget.
type digestBuilder struct {
	budget, size int
	seq          uint64
	entries      []wire.DigestEntry
	full         bool
}

func (b *digestBuilder) add(e wire.DigestEntry) bool {
	n := len(b.entries)
	grow := e.Size() + wire.ArrayHeaderSize(n+1) - wire.ArrayHeaderSize(n)
	if b.size+grow > b.budget {
		b.full = true
		return false
	}
	b.size += grow
	b.entries = append(b.entries, e)
	return true
}

func (b *digestBuilder) addNode(n *nodeState) bool {
	if n.listed == b.seq {
		return true
	}
	if !b.add(n.digestEntry()) {
		return false
	}
	n.listed = b.seq
	return true
}

// applyDigest learns from peer from's digest: nodes we have never heard of,
// nodes in which the peer is ahead of us, and what it holds of us.
func (e *Engine) applyDigest(d *wire.Digest, from string, now time.Time) {
	for i := range d.Entries {
		de := &d.Entries[i]
		if de.ID == e.self.id {
			e.noteSelfDigest(de, from, now)
			continue
		}
		n := e.nodes[de.ID]
		switch {
		case n == nil:
			if de.Generation != 0 && de.ID != "" && de.Flags&wire.DigestRemoved == 0 && !e.buried(de.ID, de.Generation) {
				e.markWanted(de.ID)
			}
		case de.Generation == 0 || de.Generation < n.generation:
		case de.Generation > n.generation:
			e.markBehind(n)
		default:
			e.noteVersionSeen(n, de.MaxVersion, now)
			if de.MaxVersion > n.maxVersion {
				e.markBehind(n)
			}
			if n.status == statusDead && de.Flags&wire.DigestRemoved == 0 {
				switch {
				case n.cutLarge:
					e.healedBy(n, from, now)
				case n.cutLocal:
					e.retakeLocalCut(n, from, now)
				}
			}
		}
	}
}

// healedBy takes a member's digest holding n, which this node removed in a
// large cut, as a member, once this node saw the partition heal (it took
// back some of the nodes it removed with it, lately): the member took n
// back too, without n rejoining (n never learnt it was removed), and so
// does this node. While the partition lasts, members that have not yet
// applied the verdict hold n as a member too; they do not count.
func (e *Engine) healedBy(n *nodeState, from string, now time.Time) {
	if p := e.nodes[from]; p == nil || p.status != statusLive || e.removed() {
		return
	}
	if e.healedAt == 0 || e.fd.Mono(now)-e.healedAt > int64(2*e.freshHold()) {
		return
	}
	e.healedAt = e.fd.Mono(now)
	e.markPending(n, now)
	e.admit(n, now)
	n.spareUntil = e.fd.Mono(now.Add(e.freshHold()))
}

// retakeLocalCut takes a member's digest holding n, which this node
// removed alone while cut off from everyone, as a reason to try n again:
// n must earn admission as a pending node does (first-hand evidence, a
// probe), at most once per freshHold. Nobody else removed n, and since a
// removal made alone is not flagged to others (see digestEntry), n never
// learns of it and never rejoins: without this, this node would hold a
// member of the cluster dead for as long as both run.
func (e *Engine) retakeLocalCut(n *nodeState, from string, now time.Time) {
	if p := e.nodes[from]; p == nil || p.status != statusLive || e.removed() {
		return
	}
	if e.fd.Mono(now)-n.statusSince < int64(e.freshHold()) {
		return
	}
	e.markPending(n, now)
	e.startPending(n, fromRelay, false, now)
}

// noteVersionSeen records that a peer's digest listed n's current
// incarnation at version v.
func (e *Engine) noteVersionSeen(n *nodeState, v uint64, now time.Time) {
	n.seenVersion = max(n.seenVersion, v)
	if v >= n.maxVersion {
		n.seenAt = e.fd.Mono(now)
	}
}

// noteSelfDigest reads what peer from holds of our own state: our leave
// marker, or a removal of our incarnation. A removal counts when from is a
// member, or a node we removed in a large cut ourselves (the two sides of
// a healed partition, which removed each other, both rejoin at once), or
// while cut off alone: that node rejoins, on probation, since nothing
// tells a node cut off alone from a node that fails on and off. (It
// reported everyone dead, but flags nobody: see digestEntry.)
func (e *Engine) noteSelfDigest(de *wire.DigestEntry, from string, now time.Time) {
	if de.Generation != e.self.generation {
		e.selfInDigest(de) // conflict.go
		return
	}
	if e.leave.version > 0 && de.MaxVersion >= e.leave.version {
		e.leave.acked = true
		e.leaveDone()
		return
	}
	if de.Flags&wire.DigestRemoved == 0 || e.leave.version != 0 {
		return
	}
	switch n := e.nodes[from]; {
	case n == nil:
	case n.status == statusLive:
		e.selfRemoved(now, false)
	case n.status == statusDead && n.cutLarge:
		e.selfRemoved(now, true) // we removed each other: a partition
	case n.status == statusDead && n.cutLocal:
		e.selfRemoved(now, false) // we were cut off: no partition
	}
}

// markChanged queues n to be listed early in our next digests.
func (e *Engine) markChanged(n *nodeState) {
	if !n.changed {
		n.changed = true
		e.changedQ = append(e.changedQ, n.id)
	}
}

// markBehind records that a peer holds newer state of n than we do.
func (e *Engine) markBehind(n *nodeState) {
	if !n.behind {
		n.behind = true
		e.behindQ = append(e.behindQ, n.id)
	}
}

// markWanted records the ID of a node we have never heard of.
func (e *Engine) markWanted(id string) {
	if _, ok := e.wanted[id]; ok || len(e.wanted) >= maxWanted {
		return
	}
	e.wanted[id] = struct{}{}
	e.wantedQ = append(e.wantedQ, id)
}

// maxWanted bounds the IDs remembered from digests before their state arrives.
const maxWanted = 1024
