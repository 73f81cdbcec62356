package gossip

import (
	"cmp"
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/phi"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// A delta carries, per node, the entries the receiver lacks according to its
// digest: every entry newer than the receiver's max version, in ascending
// version order. It is cut to fit the datagram exactly; a node's entries are
// cut only at the end, never leaving a gap, so whatever prefix arrives can be
// applied and the rest follows in later exchanges.
//
// Nodes are ordered: those the receiver has never seen (or holds an older
// generation of) first, then resets, then the most stale (most entries
// missing: scuttle-depth); ties are broken at random so no node starves.
// The state of a node held removed is not offered to a receiver that lacks
// the node: relaying a corpse would make it track one.
//
// Tombstones are collected a grace period after deletion; the highest
// collected version is the node's GC watermark. A receiver whose max version
// is below our watermark, and whose own watermark is too, may hold keys whose
// deletion it can no longer learn: it gets a reset (drop the node's state,
// take ours). A reset cut short is still a consistent prefix, and the
// receiver's digest then carries our watermark, so the rest arrives as a
// normal delta, from any peer, instead of a reset that restarts forever.

// deltaRank orders delta candidates.
type deltaRank uint8

const (
	rankUnknown deltaRank = iota
	rankReset
	rankStale
)

type deltaCandidate struct {
	n       *nodeState
	from    uint64
	rank    deltaRank
	missing int
}

// buildDelta returns what the sender of d lacks, within budget bytes. Its
// nodes live in a buffer that the next build reuses: encode the delta first.
func (e *Engine) buildDelta(d *wire.Digest, budget int) wire.Delta {
	return e.buildDeltaCovering(d, nil, budget)
}

// buildDeltaCovering is buildDelta for a digest that lists every node its
// sender holds within the ranges cover marks (see answerDigest).
func (e *Engine) buildDeltaCovering(d *wire.Digest, cover []uint16, budget int) wire.Delta {
	seq := e.nextSeq()
	cands := e.candBuf[:0]
	for i := range d.Entries {
		de := &d.Entries[i]
		n := e.nodes[de.ID]
		if n == nil || n.deltaMark == seq {
			continue
		}
		n.deltaMark = seq
		switch {
		case de.Generation < n.generation:
			if de.Generation == 0 && (n.status == statusDead || n.status == statusLeft) {
				continue
			}
			cands = append(cands, deltaCandidate{n: n, rank: rankUnknown, missing: len(n.kvs)})
		case de.Generation > n.generation:
		case de.MaxVersion < n.gcVersion && de.GCVersion < n.gcVersion:
			cands = append(cands, deltaCandidate{n: n, rank: rankReset, missing: len(n.kvs)})
		case de.MaxVersion < n.maxVersion:
			cands = append(cands, deltaCandidate{n: n, from: de.MaxVersion, rank: rankStale, missing: len(n.entriesAfter(de.MaxVersion))})
		}
	}
	if d.Complete || cover != nil {
		// Absent nodes are unknown to the sender. Offer only nodes we
		// know to be running: relaying a dead node's state would make
		// joiners track a corpse.
		for _, n := range e.sorted {
			if n.deltaMark == seq || (n != e.self && n.status != statusLive) || !d.Complete && cover[n.key>>rangeLeaf] == 0 {
				continue
			}
			n.deltaMark = seq
			cands = append(cands, deltaCandidate{n: n, rank: rankUnknown, missing: len(n.kvs)})
		}
	}
	for i := len(cands) - 1; i > 0; i-- {
		j := e.rng.IntN(i + 1)
		cands[i], cands[j] = cands[j], cands[i]
	}
	slices.SortStableFunc(cands, func(a, b deltaCandidate) int {
		if a.rank != b.rank {
			return cmp.Compare(a.rank, b.rank)
		}
		return cmp.Compare(b.missing, a.missing)
	})

	delta := wire.Delta{Nodes: e.deltaBuf[:0]}
	size := wire.DeltaOverhead(0)
	for _, cd := range cands {
		if nd, ok := e.fillNodeDelta(cd, budget-size, len(delta.Nodes)); ok {
			size += wire.ArrayHeaderSize(len(delta.Nodes)+1) - wire.ArrayHeaderSize(len(delta.Nodes)) + nd.Size()
			delta.Nodes = append(delta.Nodes, nd)
		}
	}
	clear(cands) // drop the node pointers
	e.candBuf, e.deltaBuf = cands[:0], delta.Nodes[:0]
	if len(delta.Nodes) == 0 {
		delta.Nodes = nil // as before: nil, not empty, on the wire
	}
	return delta
}

// fillNodeDelta builds the delta of one node in at most room bytes, given
// that the delta already holds count nodes. It fails when not even the header
// and the first entry fit.
func (e *Engine) fillNodeDelta(cd deltaCandidate, room, count int) (wire.NodeDelta, bool) {
	n := cd.n
	nd := wire.NodeDelta{
		ID:          n.id,
		Generation:  n.generation,
		FromVersion: cd.from,
		MaxVersion:  n.maxVersion, // sized as if complete; cleared below if cut
		GCVersion:   n.gcVersion,
		Reset:       cd.rank == rankReset,
	}
	if cd.from == 0 {
		nd.Addr = n.addr
	}
	es := n.entriesAfter(cd.from)
	room -= wire.ArrayHeaderSize(count+1) - wire.ArrayHeaderSize(count)
	size := nd.FixedSize()
	k := 0
	for k < len(es) {
		we := es[k].wire()
		s := we.Size()
		if size+wire.ArrayHeaderSize(k+1)+s > room {
			break
		}
		size += s
		k++
	}
	if size+wire.ArrayHeaderSize(k) > room || (k == 0 && len(es) > 0) {
		return wire.NodeDelta{}, false
	}
	if k > 0 {
		nd.Entries = make([]wire.Entry, k)
		for i, we := range es[:k] {
			nd.Entries[i] = we.wire()
		}
	}
	if k < len(es) {
		nd.MaxVersion = 0
	}
	return nd, true
}

// wire returns the entry as sent.
func (e *kvEntry) wire() wire.Entry {
	return wire.Entry{Key: e.key, Value: e.value, Version: e.version, Status: e.status}
}

// applyDelta merges a delta from peer from, node by node: the sender's own
// node delta is first-hand, the others relayed (see admission.go).
func (e *Engine) applyDelta(d *wire.Delta, from string, now time.Time) {
	for i := range d.Nodes {
		src := fromRelay
		if d.Nodes[i].ID == from {
			src = fromDirect
		}
		e.applyNodeDeltaFrom(&d.Nodes[i], now, src)
	}
}

// applyNodeDeltaFrom merges one node delta learnt from src and reports
// whether it taught this node anything: a new incarnation, or entries.
func (e *Engine) applyNodeDeltaFrom(nd *wire.NodeDelta, now time.Time, src source) (advanced bool) {
	if nd.ID == e.self.id {
		e.selfInDelta(nd) // conflict.go
	}
	if nd.ID == e.self.id || nd.ID == "" || nd.Generation == 0 {
		return false
	}
	n := e.nodes[nd.ID]
	changed := false             // user keys changed: one NodeUpdate for the whole delta
	var before map[string]string // user keys before a replacement, for subscribers
	fresh, restarted, wasCutLarge := false, false, false
	switch {
	case n == nil:
		if nd.FromVersion != 0 || nd.Addr == "" || e.buried(nd.ID, nd.Generation) {
			return false
		}
		delete(e.graves, nd.ID)
		n = e.newNode(nd.ID, nd.Addr, nd.Generation)
		e.insertNode(n)
		e.markPending(n, now)
		fresh = true
	case nd.Generation < n.generation:
		return false
	case nd.Generation > n.generation:
		if nd.FromVersion != 0 || nd.Addr == "" {
			e.markBehind(n)
			return false
		}
		// A new incarnation: its old state is gone. A member that
		// restarted, or rejoined after a partition, stays a member; any
		// other waits for admission. A member that rejoins on probation
		// was removed by the cluster while this node did not see it
		// (the verdict reached it late, or the alerts came and went):
		// this node follows the cluster, and reports it dead.
		wasCutLarge = n.cutLarge
		if n.status == statusLive && rejoinsOf(nd.Generation) > 0 && !announcesProbationOver(nd) {
			e.setStatus(n, statusDead, now, ReasonSuspected)
		}
		restarted = n.status == statusLive
		before = n.userKeys()
		changed = len(before) > 0
		e.retireAlert(n.id, now) // about the old incarnation: moot, once the new one spread (monitor.go)
		e.dropEdge(n)
		e.expectDirty = true // expect the new incarnation's heartbeats (monitor.go)
		e.clearNode(n)
		old := n.generation
		n.seenVersion, n.seenAt = 0, phi.NoTime
		n.generation = nd.Generation
		n.addr = nd.Addr
		n.cutLarge, n.cutLocal, n.spareUntil = false, false, 0
		fresh = !restarted
		switch {
		case restarted && rejoinsOf(nd.Generation) == 0:
			// A process restart: the old incarnation is gone and the
			// new one is here, and a consumer keeping a set of live
			// nodes sees both. (A member's rejoin after a partition is
			// the same process, with the same keys: it stays a member
			// silently.)
			e.emitGen(NodeDead, n, old, ReasonRestarted)
			e.emit(NodeLive, n, ReasonRestarted)
		case restarted:
		case n.wasLive:
			n.keysBefore = before
			fallthrough
		default:
			e.markPending(n, now)
		}
	}
	advanced = fresh || restarted
	// A reset we no longer need (we caught up meanwhile) applies as a
	// normal delta: entries we hold are skipped.
	if nd.Reset && n.maxVersion < nd.GCVersion && n.gcVersion < nd.GCVersion {
		if before == nil {
			before = n.userKeys()
		}
		changed = changed || len(before) > 0
		e.clearNode(n)
		n.gcVersion = nd.GCVersion
		e.resets++
		advanced = true
	}
	if nd.FromVersion > n.maxVersion {
		e.markBehind(n) // a gap: wait for a delta from our version
		if changed {
			e.noteStateReplaced(n, before)
			e.noteUpdate(n)
		}
		e.afterDelta(n, fresh, src, wasCutLarge, now)
		return advanced
	}
	maxBefore := n.maxVersion
	applied, ok := e.applyEntries(n, nd, now, before == nil)
	changed = changed || applied
	advanced = advanced || n.maxVersion > maxBefore
	if before != nil {
		e.noteStateReplaced(n, before)
	}
	if !ok {
		e.stats.DroppedMalformed++
	}
	if nd.MaxVersion > n.maxVersion && ok {
		n.maxVersion = nd.MaxVersion
	}
	n.seenVersion = max(n.seenVersion, nd.MaxVersion)
	if changed {
		e.markChanged(n)
		e.noteUpdate(n)
	}
	e.afterDelta(n, fresh, src, wasCutLarge, now)
	return advanced
}

// afterDelta starts the admission of a fresh incarnation, or takes a delta
// from a fresh source as evidence that the node runs. A fresh incarnation
// learnt first-hand outside a push (a joiner's first exchange with its
// seed) is pushed on at once, so that the cluster learns of it in
// milliseconds rather than rounds.
func (e *Engine) afterDelta(n *nodeState, fresh bool, src source, wasCutLarge bool, now time.Time) {
	e.refingerprint(n)
	switch {
	case fresh:
		e.startPending(n, src, wasCutLarge, now)
		if src == fromDirect && n.status == statusLive {
			e.forwardFresh = append(e.forwardFresh, n)
		}
	case src != fromRelay:
		e.evidence(n, now)
	}
}

// clearNode forgets n's entries, and the alerts they held.
func (e *Engine) clearNode(n *nodeState) {
	e.forgetAlertsOf(n)
	n.clear()
}

// applyEntries applies the entries of nd above n's max version, reporting
// each user key to subscribers when notify is set. It stops with ok false
// at the first entry out of order or malformed. changed reports a user
// key change; reserved keys (the leave marker, alerts, the end of a
// probation) take effect here.
func (e *Engine) applyEntries(n *nodeState, nd *wire.NodeDelta, now time.Time, notify bool) (changed, ok bool) {
	prev, at := nd.FromVersion, e.fd.Mono(now)
	for i := range nd.Entries {
		we := &nd.Entries[i]
		if we.Version <= prev || (we.Key == leftKey) != (we.Status == wire.StatusLeft) || we.Status > wire.StatusLeft {
			return changed, false
		}
		prev = we.Version
		if we.Version <= n.maxVersion {
			continue
		}
		if old, had := n.kvs[we.Key]; had && old.status == wire.StatusDeleted {
			n.tombstones--
		}
		n.put(&kvEntry{key: we.Key, value: we.Value, version: we.Version, status: we.Status, at: at})
		if we.Status == wire.StatusDeleted {
			n.tombstones++
		}
		n.maxVersion = we.Version
		switch {
		case we.Status == wire.StatusLeft:
			e.setStatus(n, statusLeft, now, ReasonLeft)
			e.dropEdge(n)
		case reserved(we.Key):
			e.noteAlertKey(n, we.Key, we.Value, we.Status == wire.StatusSet)
			if we.Key == probationKey && we.Status == wire.StatusSet {
				e.noteProbationKey(n, now)
			}
		default:
			changed = true
			if notify {
				e.noteKeyChange(n, we.Key, we.Value, we.Status == wire.StatusDeleted)
			}
		}
	}
	return changed, true
}

// announcesProbationOver reports whether node delta nd, the whole state of a
// rejoining incarnation, carries the end of its probation: a rejoin after a
// partition announces it at once (admission.go).
func announcesProbationOver(nd *wire.NodeDelta) bool {
	for i := range nd.Entries {
		if en := &nd.Entries[i]; en.Key == probationKey && en.Status == wire.StatusSet {
			return true
		}
	}
	return false
}
