package gossip

import (
	"time"

	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Range-based set reconciliation (Meyer, "Range-Based Set Reconciliation",
// 2023; the idea of Merkle-tree anti-entropy in Dynamo and Cassandra),
// used when two views' fingerprints differ and a complete digest does not
// fit one datagram. Every node ID has a 64-bit range key (rangeKey); a
// range at depth d is the set of IDs whose key starts with some 4*d bits,
// so the 16 ranges of depth 1 split the ID space, each splits into 16 of
// depth 2, and so on to depth rangeDepth (4,096 ranges). The engine keeps
// the count and fingerprint sum of every range (rangeTree), updated with
// the view's fingerprint, O(rangeDepth) per change.
//
//	A → B  Sum                           views differ:
//	B → A  Ranges(16 ranges of depth 1)  fingerprints and counts
//	A → B  Ranges(sub-ranges of those that differ, or Covered + entries)
//	...    one level deeper at each step, at most rangeDepth steps
//	X → Y  Ranges(Covered, Digest)       a differing range of few nodes:
//	                                      X lists every node it holds there
//	Y → X  SynAck(digest, delta)         what X lacks in those ranges, and
//	                                      the entries Y lacks (its digest)
//	X → Y  Ack(delta)                    what Y lacks
//
// A receiver compares each range it is sent with its own: an equal range
// is done; a differing one holding at most rangeCover of its nodes, or at
// the deepest level, is covered (its nodes listed); any other is answered
// with its 16 sub-ranges. So an exchange whose views differ in k nodes
// costs about k*log16(N) range entries and k digest entries, not a digest
// of every node, and the difference is found in one exchange instead of
// after a cursor rotates over all nodes. The answer to a covered range is
// the SynAck of a Syn whose digest is complete within those ranges: the
// responder sends the nodes the lister lacks there, and lists the ones it
// lacks itself so that the Ack brings them. Every step fits one datagram:
// ranges that do not fit are left for the next exchange (each step starts
// at a random range, so none starves).

const (
	rangeBits  = 4                         // a range splits into 1<<rangeBits
	rangeDepth = 3                         // the deepest level
	rangeLeaf  = 64 - rangeBits*rangeDepth // shift from a key to its deepest range
	rangeCover = 8                         // a differing range with at most this many of our nodes is listed
)

// rangeKey is the place of a node ID in the key space that ranges split:
// well mixed, so ranges hold about equal shares of any set of IDs.
func rangeKey(id string) uint64 { return mix64(fnv1a(fnvBasis, id)) }

// rangeSum is the count and fingerprint sum of the nodes held in a range.
type rangeSum struct {
	fp uint64
	n  uint32
}

// rangeTree holds the rangeSum of every range, level d-1 for depth d.
type rangeTree struct{ level [rangeDepth][]rangeSum }

func newRangeTree() *rangeTree {
	t := &rangeTree{}
	for d := range rangeDepth {
		t.level[d] = make([]rangeSum, 1<<(rangeBits*(d+1)))
	}
	return t
}

// add counts dn more nodes (dn may be -1) and dfp more fingerprint in the
// ranges holding key.
func (t *rangeTree) add(key, dfp uint64, dn int32) {
	for d := range rangeDepth {
		s := &t.level[d][key>>(64-rangeBits*(d+1))]
		s.fp += dfp
		s.n += uint32(dn)
	}
}

// sum returns the range (depth, prefix), which must be valid.
func (t *rangeTree) sum(depth, prefix uint64) wire.Range {
	s := t.level[depth-1][prefix]
	return wire.Range{Depth: depth, Prefix: prefix, Nodes: uint64(s.n), Fingerprint: s.fp}
}

// validRange reports whether r names a range.
func validRange(r *wire.Range) bool {
	return r.Depth >= 1 && r.Depth <= rangeDepth && r.Prefix < 1<<(rangeBits*r.Depth)
}

// rangeSums returns the range tree, built on first use: a cluster whose
// complete digest fits one datagram never needs it.
func (e *Engine) rangeSums() *rangeTree {
	if e.rt == nil {
		e.rt = e.rangeTreeOfView()
	}
	return e.rt
}

// rangeTreeOfView computes the range sums of the view from scratch.
func (e *Engine) rangeTreeOfView() *rangeTree {
	t := newRangeTree()
	for _, n := range e.sorted {
		t.add(n.key, n.fp, 1)
	}
	return t
}

// rangesPay reports whether a difference is better found by ranges than
// by a digest: when a complete digest does not fit one datagram.
func (e *Engine) rangesPay() bool {
	return !e.completeFits(e.bodyBudget - wire.SynOverhead(e.self.id))
}

// sendTopRanges answers a Sum that does not match ours with the ranges of
// depth 1: the sub-ranges of the whole ID space, depth 0.
func (e *Engine) sendTopRanges(addr string, limit int) {
	e.sendRanges(addr, limit, []wire.Range{{}}, nil)
}

// handleRanges takes one step of range reconciliation with node m.From at
// addr: it answers the covered ranges as a Syn and compares the others.
func (e *Engine) handleRanges(now time.Time, addr string, m *wire.Ranges, reqLen int) {
	e.answered(addr, now) // the first answer to our Sum may be Ranges
	e.heard(addr)
	e.incarnationSeen(m.From, m.Generation, now) // sum.go
	limit := e.replyLimit(addr, m.From, reqLen)
	if len(m.Covered) > 0 {
		e.applyDigest(&m.Digest, m.From, now)
		if cover := e.coverOf(m.Covered); cover != nil {
			e.answerDigest(addr, m.From, &m.Digest, cover, limit) // exchange.go
			clear(cover)
		}
	}
	if len(m.Ranges) > 0 {
		e.compareRanges(addr, m.Ranges, limit)
	}
}

// compareRanges answers the ranges a peer sent: it covers or splits those
// that differ from ours.
func (e *Engine) compareRanges(addr string, in []wire.Range, limit int) {
	t := e.rangeSums()
	var split, cover []wire.Range
	start := e.rng.IntN(len(in))
	for i := range in {
		r := in[(start+i)%len(in)]
		if !validRange(&r) {
			continue
		}
		mine := t.sum(r.Depth, r.Prefix)
		switch {
		case mine == r:
		case mine.Nodes <= rangeCover || r.Depth == rangeDepth:
			cover = append(cover, wire.Range{Depth: r.Depth, Prefix: r.Prefix})
		default:
			split = append(split, r)
		}
	}
	if len(cover) > 0 || len(split) > 0 {
		e.sendRanges(addr, limit, split, cover)
	}
}

// sendRanges sends a Ranges listing the nodes of the cover ranges and the
// sub-ranges of the split ones (depth 0 for the whole ID space), as many
// as fit: covers first, each with all of its nodes or not at all.
func (e *Engine) sendRanges(addr string, limit int, split, cover []wire.Range) {
	e.send(addr, wire.MsgRanges, limit, func(budget int) seal.Message {
		m := wire.Ranges{From: e.self.id, Generation: e.self.generation}
		size := wire.RangesOverhead(m.From, m.Generation, 0, 0) + wire.DigestOverhead(0)
		if len(cover) > 0 {
			size = e.fillCovers(&m, cover, budget, size)
		}
		t := e.rangeSums()
		for _, r := range split {
			if r.Depth >= rangeDepth {
				continue
			}
			grow := 0
			children := make([]wire.Range, 1<<rangeBits)
			for c := range children {
				children[c] = t.sum(r.Depth+1, r.Prefix<<rangeBits|uint64(c))
				grow += children[c].Size()
			}
			n := len(m.Ranges) + len(children)
			grow += wire.ArrayHeaderSize(n) - wire.ArrayHeaderSize(len(m.Ranges))
			if size+grow > budget {
				break
			}
			size += grow
			m.Ranges = append(m.Ranges, children...)
		}
		if len(m.Ranges) == 0 && len(m.Covered) == 0 {
			return nil
		}
		e.stats.RangesSent++
		return &rangesOut{m: m}
	})
}

// fillCovers adds to m the cover ranges whose nodes fit budget, given the
// size so far, and returns the new size.
func (e *Engine) fillCovers(m *wire.Ranges, cover []wire.Range, budget, size int) int {
	marks := e.coverMarks(cover)
	need := make([]int, len(cover)) // digest bytes of each cover's nodes
	type covered struct {
		cover int
		de    wire.DigestEntry
	}
	var entries []covered // in ID order
	for _, n := range e.sorted {
		if i := marks[n.key>>rangeLeaf]; i > 0 {
			de := n.digestEntry()
			need[i-1] += de.Size()
			entries = append(entries, covered{int(i - 1), de})
		}
	}
	clear(marks)
	in := make([]bool, len(cover))
	for i := range cover {
		grow := cover[i].Size() + need[i] + wire.ArrayHeaderSize(len(m.Covered)+1) - wire.ArrayHeaderSize(len(m.Covered)) + 2 // the digest's header may grow
		if size+grow > budget {
			continue
		}
		size += grow
		in[i] = true
		m.Covered = append(m.Covered, cover[i])
	}
	for _, c := range entries {
		if in[c.cover] {
			m.Digest.Entries = append(m.Digest.Entries, c.de)
		}
	}
	return size
}

// coverMarks marks, for each deepest range, 1 + the index of the cover
// range holding it, 0 when none does. The slice is reused: clear it.
func (e *Engine) coverMarks(cover []wire.Range) []uint16 {
	if e.marks == nil {
		e.marks = make([]uint16, 1<<(rangeBits*rangeDepth))
	}
	for i, r := range cover {
		span := uint64(1) << (rangeBits * (rangeDepth - r.Depth))
		first := r.Prefix * span
		for l := first; l < first+span; l++ {
			if e.marks[l] == 0 {
				e.marks[l] = uint16(i + 1)
			}
		}
	}
	return e.marks
}

// coverOf returns the marks of the valid ranges among covered, for
// answerDigest, or nil when none is valid. The caller clears them.
func (e *Engine) coverOf(covered []wire.Range) []uint16 {
	valid := covered[:0:0]
	for _, r := range covered {
		if validRange(&r) {
			valid = append(valid, r)
		}
	}
	if len(valid) == 0 {
		return nil
	}
	return e.coverMarks(valid)
}

// rangesOut is a Ranges being fitted. Trimming drops sub-ranges, then
// covered ranges with their nodes.
type rangesOut struct{ m wire.Ranges }

func (o *rangesOut) Size() int                  { return o.m.Size() }
func (o *rangesOut) AppendBody(b []byte) []byte { return wire.AppendRanges(b, &o.m) }
func (o *rangesOut) Trim(limit int) {
	for o.m.Size() > limit && len(o.m.Ranges) > 0 {
		o.m.Ranges = o.m.Ranges[:max(0, len(o.m.Ranges)-(1<<rangeBits))]
	}
	for o.m.Size() > limit && len(o.m.Covered) > 0 {
		last := o.m.Covered[len(o.m.Covered)-1]
		o.m.Covered = o.m.Covered[:len(o.m.Covered)-1]
		kept := o.m.Digest.Entries[:0]
		for _, de := range o.m.Digest.Entries {
			if rangeKey(de.ID)>>(64-rangeBits*last.Depth) != last.Prefix {
				kept = append(kept, de)
			}
		}
		o.m.Digest.Entries = kept
	}
}
