package gossip

import (
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// A round's exchange with a live peer opens with a Sum, the fingerprint of
// the initiator's view (fingerprint.go), when the initiator's complete
// digest does not fit one datagram, or when it has no news to spread and
// found its view equal to a peer's lately:
//
//	initiator → responder  Sum(fingerprint)
//	responder → initiator  Sum(fingerprint, answer)  when the views are equal
//	responder → initiator  Syn(digest)               when they differ, in a small cluster
//	responder → initiator  Ranges(fingerprints)      when they differ, in a larger one
//
// On a difference the responder opens the full three-way exchange of
// exchange.go itself, or range reconciliation (ranges.go), so both sides
// still learn what they lack, for one more one-way delay. At rest, when
// every node holds the same view, an exchange costs two datagrams of about
// 40 bytes instead of two carrying a digest each: what keeps an idle
// cluster cheap at any size.
//
// In a cluster whose complete digest fits one datagram, a node with news
// (changes not listed yet, peers known to be ahead, nodes heard of and not
// held) opens with a Syn, as does, but one round in syncedLately, a node
// that has not found its view equal to any peer's for syncedLately
// intervals (it is catching up, or its links lose most datagrams): a Sum
// would cost it one more datagram to lose. In a larger cluster a digest is
// partial and lists at best a few dozen of the nodes that differ, where a
// Sum that does not match leads to every difference by ranges: there every
// exchange with a live peer opens with a Sum. Measured at 1000 nodes under
// an increment every millisecond, this cut the time until an increment is
// everywhere from 4.1 s to 2.7 s (p99), and it made a 2000-node bootstrap
// through one seed complete in 10 s instead of 27 (BENCHMARKS.md).

// syncedLately is how long, in gossip intervals, a view found equal to a
// peer's lets this node open exchanges with Sums.
const syncedLately = 3

// hasNews reports whether this node knows of changes a digest should carry
// at once: versions changed since it last listed them, peers ahead of it,
// or nodes it has heard of but holds no state for.
func (e *Engine) hasNews() bool {
	// The queues keep entries that lost their reason (a complete digest
	// does not drain wantedQ, a delta may bring a wanted node): drop them.
	e.changedQ = slices.DeleteFunc(e.changedQ, func(id string) bool { n := e.nodes[id]; return n == nil || !n.changed })
	e.behindQ = slices.DeleteFunc(e.behindQ, func(id string) bool { n := e.nodes[id]; return n == nil || !n.behind })
	e.wantedQ = slices.DeleteFunc(e.wantedQ, func(id string) bool {
		if _, known := e.nodes[id]; known {
			delete(e.wanted, id)
			return true
		}
		return false
	})
	return len(e.changedQ) > 0 || len(e.behindQ) > 0 || len(e.wantedQ) > 0
}

// openExchange starts this round's exchange with the live peer at addr.
func (e *Engine) openExchange(addr string, now time.Time) {
	lately := e.syncedAt >= e.fd.Mono(now.Add(-syncedLately*e.cfg.GossipInterval))
	if !e.rangesPay() && (e.hasNews() || !lately && e.stats.Rounds%syncedLately != 0) {
		e.sendSyn(addr)
		return
	}
	e.sendSum(addr, false)
}

// sendSum sends this node's fingerprint to addr, as an opening or as the
// answer to a Sum that matched it.
func (e *Engine) sendSum(addr string, answer bool) {
	m := wire.Sum{From: e.self.id, Generation: e.self.generation, Nodes: uint64(len(e.sorted)), Fingerprint: e.fp, Answer: answer}
	e.send(addr, wire.MsgSum, e.cfg.MaxPacketSize, func(int) seal.Message { return &sumOut{m: m} })
	e.stats.SumsSent++
}

// sumOut is a Sum being fitted; it is far below any limit.
type sumOut struct{ m wire.Sum }

func (o *sumOut) Size() int                  { return o.m.Size() }
func (o *sumOut) AppendBody(b []byte) []byte { return wire.AppendSum(b, &o.m) }
func (o *sumOut) Trim(int)                   {}

// handleSum answers a Sum from node m.From at addr: with our own Sum when
// the views are equal, with a Syn when they differ (at most replyLimit
// bytes: a Sum from a stranger cannot make us send much). An answer is
// never answered.
func (e *Engine) handleSum(now time.Time, addr string, m *wire.Sum, reqLen int) {
	if !m.Answer {
		e.noteCaller(now, addr, m.From) // audience.go
	}
	e.heard(addr)
	e.incarnationSeen(m.From, m.Generation, now)
	inSync := m.Nodes == uint64(len(e.sorted)) && m.Fingerprint == e.fp
	if inSync {
		e.synced(now)
	}
	switch {
	case m.Answer:
		e.answered(addr, now) // exchange.go
	case inSync:
		e.sendSum(addr, true)
	case e.rangesPay():
		e.sendTopRanges(addr, e.replyLimit(addr, m.From, reqLen)) // ranges.go
	default:
		e.sendSynWithin(addr, e.replyLimit(addr, m.From, reqLen))
	}
}

// incarnationSeen learns what a Sum or a Ranges says of its sender, node
// id at incarnation gen: that this incarnation runs (evidence for a
// pending one, as a heartbeat is), or that it is one we do not hold yet,
// whose state we then ask for.
func (e *Engine) incarnationSeen(id string, gen uint64, now time.Time) {
	n := e.nodes[id]
	switch {
	case n == nil:
		if !e.buried(id, gen) {
			e.markWanted(id)
		}
	case gen > n.generation:
		e.markBehind(n)
	case gen == n.generation && n.status == statusPending:
		e.evidence(n, now)
	}
}
