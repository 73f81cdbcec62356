package gossip

import (
	"fmt"
	"time"
)

// The fingerprint of this node's view: the sum, modulo 2^64, of one hash
// per node held, over exactly what the node's digest entry says
// (ID, generation, removed flag, max version, GC watermark). Two nodes
// whose views have the same fingerprint and the same number of nodes hold
// the same digest, so an exchange between them has nothing to carry: it
// costs one Sum each way (sum.go). A sum can be updated one node at a time,
// so the engine keeps it incrementally: every change to a node's digest
// entry calls refingerprint, O(1). CheckFingerprint, used by the tests
// and the simulator, recomputes it from scratch.
//
// The hash is not cryptographic: a member that wants to mislead its peers
// can write false state anyway; collisions between honest views are
// vanishingly rare (2^-64 for two views that differ).

// nodeHash returns the hash of n's digest entry.
func nodeHash(n *nodeState) uint64 {
	d := n.digestEntry()
	h := fnv1a(fnvBasis, d.ID) // rings.go
	for _, v := range [...]uint64{d.Generation, d.Flags, d.MaxVersion, d.GCVersion} {
		h = mix64(h + v)
	}
	return h
}

// mix64 is the finalizer of splitmix64: every input bit affects every
// output bit.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// refingerprint takes a change to n's digest entry into the fingerprint.
// Call it after any change to n's generation, versions, status or cutLocal.
func (e *Engine) refingerprint(n *nodeState) {
	if e.nodes[n.id] != n {
		return // not held (yet, or any more): insertNode and removeNode count it
	}
	h := nodeHash(n)
	if h == n.fp {
		return
	}
	e.fp += h - n.fp
	if e.rt != nil {
		e.rt.add(n.key, h-n.fp, 0)
	}
	n.fp = h
	e.viewSeq++
	n.heldSeq = e.viewSeq
}

// fingerprintInsert counts a node just held.
func (e *Engine) fingerprintInsert(n *nodeState) {
	n.fp = nodeHash(n)
	e.fp += n.fp
	if e.rt != nil {
		e.rt.add(n.key, n.fp, 1)
	}
	e.viewSeq++
	n.heldSeq = e.viewSeq
}

// fingerprintRemove forgets a node no longer held.
func (e *Engine) fingerprintRemove(n *nodeState) {
	e.fp -= n.fp
	if e.rt != nil {
		e.rt.add(n.key, -n.fp, -1)
	}
	e.viewSeq++
}

// synced records that a peer's view was found equal to ours: every node we
// hold is confirmed at the version we hold it, as a digest listing it
// would (see NodeVersion).
func (e *Engine) synced(now time.Time) {
	e.syncSeq = e.viewSeq
	e.syncedAt = e.fd.Mono(now)
	e.stats.ExchangesInSync++
}

// confirmedAt returns when a peer last confirmed n at the version held
// here, by a digest listing it or a view found equal to ours.
func (e *Engine) confirmedAt(n *nodeState) int64 {
	if n.heldSeq <= e.syncSeq && e.syncedAt > n.seenAt {
		return e.syncedAt
	}
	return n.seenAt
}

// CheckFingerprint reports an error when the fingerprint kept incrementally
// differs from the one computed from scratch: a change to some node's
// digest entry that did not call refingerprint. For tests and the
// simulator.
func (e *Engine) CheckFingerprint() error {
	var sum uint64
	for _, n := range e.sorted {
		h := nodeHash(n)
		if h != n.fp {
			return fmt.Errorf("gossip: %s: fingerprint of node %s is stale (entry %+v)", e.self.id, n.id, n.digestEntry())
		}
		sum += h
	}
	if sum != e.fp {
		return fmt.Errorf("gossip: %s: view fingerprint %x, computed %x", e.self.id, e.fp, sum)
	}
	if e.rt != nil {
		want := e.rangeTreeOfView() // ranges.go
		for d := range want.level {
			for p, s := range want.level[d] {
				if e.rt.level[d][p] != s {
					return fmt.Errorf("gossip: %s: range %d/%x holds %d nodes %x, computed %d %x", e.self.id, d+1, p, e.rt.level[d][p].n, e.rt.level[d][p].fp, s.n, s.fp)
				}
			}
		}
	}
	return nil
}
