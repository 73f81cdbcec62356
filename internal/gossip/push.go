package gossip

import (
	"math/bits"
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Pushing. A change is not left for the next gossip rounds to find: a
// local write (a user key, an alert, a leave, a new incarnation) is sent at
// once, at the end of the input that made it, to GossipNodes random
// members, and every node that learns something new from a push forwards
// that node delta once, one hop further, to GossipNodes random members of
// its own. A node forwards a given version at most once, since the second
// time it is not new to it, so a change costs about N × GossipNodes
// datagrams in all and reaches every node in a few network round trips;
// Hops bounds the chain as a safety net. The periodic anti-entropy
// exchange repairs what pushes lost. A push never exceeds MaxPacketSize:
// what does not fit is left to anti-entropy.
//
// With Config.DisablePush nothing is pushed or forwarded, and anti-entropy
// runs GossipNodes exchanges a round instead of one.

// maxHops bounds the forwarding chain of a push among m members: twice
// log2(m), plus a margin.
func maxHops(m int) uint64 { return uint64(2*bits.Len(uint(m)) + 3) }

// exchangesPerRound is the number of anti-entropy exchanges a node starts
// each round: one when pushes spread changes, GossipNodes otherwise.
func (e *Engine) exchangesPerRound() int {
	if e.cfg.DisablePush {
		return e.cfg.GossipNodes
	}
	return 1
}

// flushPush sends this node's writes not pushed yet, and the fresh
// incarnations learnt first-hand (see afterDelta).
func (e *Engine) flushPush() {
	if fresh := e.forwardFresh; len(fresh) > 0 {
		e.forwardFresh = e.forwardFresh[:0]
		if !e.cfg.DisablePush {
			e.pushFresh(fresh)
		}
	}
	if !e.pushDue {
		return
	}
	e.pushDue = false
	if e.cfg.DisablePush || e.self.maxVersion <= e.pushed && e.pushed > 0 {
		return
	}
	from := e.pushed
	e.pushed = e.self.maxVersion
	e.emitPush(0, "", func(budget int) []wire.NodeDelta {
		nd, ok := e.fillNodeDelta(deltaCandidate{n: e.self, from: from, rank: rankStale}, budget, 0)
		if !ok {
			return nil
		}
		return []wire.NodeDelta{nd}
	})
}

// pushFresh pushes, one hop from their writers, the whole state of fresh
// incarnations learnt first-hand.
func (e *Engine) pushFresh(ns []*nodeState) {
	for _, n := range ns {
		if n.status != statusLive {
			continue
		}
		e.emitPush(1, n.id, func(budget int) []wire.NodeDelta {
			nd, ok := e.fillNodeDelta(deltaCandidate{n: n, rank: rankUnknown}, budget, 0)
			if !ok {
				return nil
			}
			return []wire.NodeDelta{nd}
		})
	}
}

// pushOut is a Push being fitted.
type pushOut struct{ m wire.Push }

func (o *pushOut) Size() int                  { return o.m.Size() }
func (o *pushOut) AppendBody(b []byte) []byte { return wire.AppendPush(b, &o.m) }
func (o *pushOut) Trim(limit int)             { trimDelta(&o.m.Delta, limit-wire.PushOverhead(o.m.From, o.m.Hops)) }

// emitPush builds one push at hop count hops with the node deltas nodes
// returns for a body budget, and sends it to GossipNodes random members
// other than except.
func (e *Engine) emitPush(hops uint64, except string, nodes func(budget int) []wire.NodeDelta) {
	targets := e.pushTargets(except)
	if len(targets) == 0 {
		return
	}
	data, err := e.sealer.Frame(wire.Header{Type: wire.MsgPush, ClusterID: e.cfg.ClusterID}, e.cfg.MaxPacketSize, func(budget int) seal.Message {
		m := wire.Push{From: e.self.id, Hops: hops}
		room := budget - wire.PushOverhead(m.From, hops) - wire.DeltaOverhead(1)
		m.Delta.Nodes = nodes(room)
		if len(m.Delta.Nodes) == 0 {
			return nil
		}
		return &pushOut{m: m}
	})
	if err != nil {
		e.stats.DroppedOutgoing++
		return
	}
	if data == nil {
		return
	}
	for _, a := range targets {
		e.emitDatagram(a, data)
		e.stats.PushesSent++
	}
}

// pushTargets returns up to GossipNodes random members' addresses, not
// this node's nor except's.
func (e *Engine) pushTargets(except string) []string {
	cands := e.pushScratch[:0]
	for _, n := range e.rings.rings[0] {
		if n != e.self && n.id != except && member(n) {
			cands = append(cands, n.addr)
		}
	}
	k := min(e.cfg.GossipNodes, len(cands))
	for i := range k { // partial Fisher-Yates
		j := i + e.rng.IntN(len(cands)-i)
		cands[i], cands[j] = cands[j], cands[i]
	}
	e.pushScratch = cands[:0]
	return slices.Clone(cands[:k])
}

// handlePush applies a push and forwards, once, what was new to this node.
func (e *Engine) handlePush(now time.Time, m *wire.Push) {
	var fwd []wire.NodeDelta
	for i := range m.Delta.Nodes {
		nd := &m.Delta.Nodes[i]
		src := fromPush
		if nd.ID == m.From && m.Hops == 0 {
			src = fromDirect
		}
		if e.applyNodeDeltaFrom(nd, now, src) {
			fwd = append(fwd, *nd)
		}
	}
	if len(fwd) == 0 || e.cfg.DisablePush || m.Hops+1 > maxHops(e.rings.size()) {
		return
	}
	e.emitPush(m.Hops+1, m.From, func(budget int) []wire.NodeDelta {
		out, size := fwd[:0:0], 0
		for _, nd := range fwd {
			s := nd.Size() + wire.ArrayHeaderSize(len(out)+1) - wire.ArrayHeaderSize(len(out))
			if size+s > budget {
				break
			}
			size += s
			out = append(out, nd)
		}
		return out
	})
}
