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
// once, at the end of the input that made it, to pushFanout (twice
// GossipNodes) random members and its successor on the first ring, and
// every node that learns something new from a push forwards that node
// delta once, one hop further, to as many members of its own. A node
// forwards a given version at most once, since the second time it is not
// new to it, so a change costs about N × (pushFanout+1) datagrams in all
// (fewer under load: see the pace below) and reaches every node but a
// handful in a few network round trips (see pushFanout); Hops bounds the
// chain as a safety net. The periodic anti-entropy exchange repairs what
// pushes lost. A push never exceeds MaxPacketSize:
// what does not fit is left to anti-entropy.
//
// Pushes are paced: a node sends at most one push to each of its targets
// every pushGap (a twentieth of the gossip interval). A push goes out at
// once when the node pushed nothing for that long; otherwise what it has to
// push (its own writes since its last push, and what it learnt from pushes)
// waits for the end of the gap and goes out together, in one datagram per
// target. Under a heavy write load the cost is bounded by the pace, not by
// the number of writes.
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

// pushGap is the least time between two pushes of this node.
func (e *Engine) pushGap() time.Duration { return e.cfg.GossipInterval / 20 }

// queuePush notes what was new in a push from peer from, to be forwarded
// one hop further (hops is its hop count there), not back to from.
func (e *Engine) queuePush(hops uint64, from string, nds []wire.NodeDelta) {
	if len(e.pushQueue) == 0 || hops < e.pushHops {
		e.pushHops = hops
	}
	e.pushQueue = append(e.pushQueue, nds...)
	e.noPushTo(from)
}

// noPushTo keeps the next push from going to the node with ID id (it has
// what the push carries).
func (e *Engine) noPushTo(id string) {
	if len(e.pushExcept) < 4 && !slices.Contains(e.pushExcept, id) {
		e.pushExcept = append(e.pushExcept, id)
	}
}

// flushPush pushes what waits, if the pace allows: this node's writes not
// pushed yet, the fresh incarnations learnt first-hand (see afterDelta),
// and what pushes taught it. Otherwise it leaves it for pushDueAt.
func (e *Engine) flushPush(now time.Time) {
	if e.cfg.DisablePush {
		e.pushDue, e.forwardFresh, e.pushQueue = false, e.forwardFresh[:0], e.pushQueue[:0]
		return
	}
	own := e.pushDue && (e.self.maxVersion > e.pushed || e.pushed == 0)
	if !own && len(e.forwardFresh) == 0 && len(e.pushQueue) == 0 {
		e.pushDue = false
		return
	}
	if !e.lastPush.IsZero() && now.Before(e.lastPush.Add(e.pushGap())) {
		return // pushDueAt wakes the engine at the end of the gap
	}
	hops := e.pushHops
	var nodes []wire.NodeDelta
	if own {
		hops = 0
		if nd, ok := e.fillNodeDelta(deltaCandidate{n: e.self, from: e.pushFrom(), rank: rankStale}, e.cfg.MaxPacketSize, 0); ok {
			nodes = append(nodes, nd)
		}
		e.pushed = e.self.maxVersion
	}
	e.pushDue = false
	for _, n := range e.forwardFresh {
		if n.status != statusLive {
			continue
		}
		if nd, ok := e.fillNodeDelta(deltaCandidate{n: n, rank: rankUnknown}, e.cfg.MaxPacketSize, 0); ok {
			nodes = append(nodes, nd)
			hops = min(hops, 1)
			e.noPushTo(n.id)
		}
	}
	nodes = append(nodes, e.pushQueue...)
	e.forwardFresh, e.pushQueue = e.forwardFresh[:0], e.pushQueue[:0]
	targets := e.pushTargets()
	for range maxPushBatch {
		if len(nodes) == 0 || len(targets) == 0 {
			break
		}
		k := e.emitPush(hops, nodes, targets)
		if k == 0 {
			break
		}
		nodes = nodes[k:]
		e.lastPush = now
	}
	// What did not fit waits for the next push, up to a bound; beyond it,
	// anti-entropy carries it.
	if len(targets) > 0 && len(nodes) > 0 {
		e.pushHops = hops
		e.pushQueue = append(e.pushQueue, nodes[:min(len(nodes), maxPushQueue)]...)
	}
	e.pushExcept = e.pushExcept[:0]
}

// pushFrom returns the version after which this node's own push carries
// its entries: not only what it wrote since its last push but, when that
// costs at most a quarter of a datagram, everything since the round
// before began. A push whose entries start above the version a receiver
// holds is a gap it cannot apply (it waits for anti-entropy), so without
// the overlap one lost push would make every later push useless to its
// receivers until an exchange repairs them; with it, the next push
// repairs them.
func (e *Engine) pushFrom() uint64 {
	if e.pushFloor >= e.pushed {
		return e.pushed
	}
	size := 0
	for _, kv := range e.self.entriesAfter(e.pushFloor) {
		we := kv.wire()
		size += we.Size()
		if size > e.cfg.MaxPacketSize/4 {
			return e.pushed
		}
	}
	return e.pushFloor
}

// pushDueAt returns when waiting pushes may go out (zero: none wait).
func (e *Engine) pushDueAt() time.Time {
	if e.cfg.DisablePush || (!e.pushDue && len(e.forwardFresh) == 0 && len(e.pushQueue) == 0) {
		return time.Time{}
	}
	return e.lastPush.Add(e.pushGap())
}

// pushOut is a Push being fitted.
type pushOut struct{ m wire.Push }

func (o *pushOut) Size() int                  { return o.m.Size() }
func (o *pushOut) AppendBody(b []byte) []byte { return wire.AppendPush(b, &o.m) }
func (o *pushOut) Trim(limit int)             { trimDelta(&o.m.Delta, limit-wire.PushOverhead(o.m.From, o.m.Hops)) }

// maxPushBatch bounds the datagrams a push sends to each target at once,
// and maxPushQueue the node deltas left waiting for the next.
const (
	maxPushBatch = 4
	maxPushQueue = 256
)

// emitPush sends one push at hop count hops with as many of nodes, in
// order, as fit, to targets, and returns how many of nodes it carried.
func (e *Engine) emitPush(hops uint64, nodes []wire.NodeDelta, targets []string) int {
	carried := 0
	data, err := e.sealer.Frame(wire.Header{Type: wire.MsgPush, ClusterID: e.cfg.ClusterID}, e.cfg.MaxPacketSize, func(budget int) seal.Message {
		m := wire.Push{From: e.self.id, Hops: hops}
		room := budget - wire.PushOverhead(m.From, hops) - wire.DeltaOverhead(1)
		size := 0
		for _, nd := range nodes {
			s := nd.Size() + wire.ArrayHeaderSize(len(m.Delta.Nodes)+1) - wire.ArrayHeaderSize(len(m.Delta.Nodes))
			if size+s > room {
				if len(m.Delta.Nodes) == 0 { // a node delta larger than a push: cut it
					m.Delta.Nodes = append(m.Delta.Nodes, nd)
					trimDelta(&m.Delta, room+wire.DeltaOverhead(1))
				}
				break
			}
			size += s
			m.Delta.Nodes = append(m.Delta.Nodes, nd)
		}
		if len(m.Delta.Nodes) == 0 {
			return nil
		}
		carried = len(m.Delta.Nodes)
		return &pushOut{m: m}
	})
	if err != nil {
		e.stats.DroppedOutgoing++
		return 0
	}
	if data == nil {
		return 0
	}
	for _, a := range targets {
		e.emitDatagram(a, data)
		e.stats.PushesSent++
	}
	return carried
}

// pushFanout is how many random members a push goes to: twice
// GossipNodes. A change forwarded once by every node it reaches, each to f
// random others, misses about e^-f of the nodes: 6 % with f = 3, 0.25 %
// with f = 6, at any cluster size. In a 1000-node cluster that is still a
// miss or two for most changes, each left to wait for the writer's next
// push or an exchange. So a push also goes to the pusher's successor on
// the first ring (ringSuccessor): every member is some member's
// successor, and a node that no random copy reached gets the change from
// its predecessor, unless the predecessor lacks it too, and so on along
// the ring: a node lacks it only when a whole run of its predecessors
// does, about e^-f per node of the run. Measured with an increment every
// millisecond at 1000 nodes: the time until an increment is everywhere,
// p99, is 2.7 s with 6 random targets, 1.6 s with 8, 1.4 s with 5 and
// the successor, 0.7 s with 6 and the successor.
func (e *Engine) pushFanout() int { return 2 * e.cfg.GossipNodes }

// pushTargets returns the addresses of this node's ring successor and of
// up to pushFanout more distinct random members, neither this node nor
// those of noPushTo: random picks on the members' ring, so that the cost
// does not grow with the cluster.
func (e *Engine) pushTargets() []string {
	ring := e.rings.members()
	k := min(e.pushFanout(), e.liveCount())
	out := e.pushScratch[:0]
	picked := e.pushPicked[:0]
	if s := e.ringSuccessor(); s != nil && k > 0 && !slices.Contains(e.pushExcept, s.id) {
		picked = append(picked, s)
		out = append(out, s.addr)
		k++
	}
	for tries := 0; len(out) < k && tries < 8*k+len(ring)/8; tries++ {
		n := ring[e.rng.IntN(len(ring))]
		if n == e.self || !member(n) || slices.Contains(picked, n) || slices.Contains(e.pushExcept, n.id) {
			continue
		}
		picked = append(picked, n)
		out = append(out, n.addr)
	}
	e.pushScratch, e.pushPicked = out[:0], picked[:0]
	return slices.Clone(out)
}

// ringSuccessor returns the member after this node on the first ring (nil:
// none but itself).
func (e *Engine) ringSuccessor() *nodeState {
	ring := e.rings.members()
	i, found := e.rings.position(0, e.self.id)
	if !found || len(ring) < 2 {
		return nil
	}
	for j := 1; j < len(ring); j++ { // never back to i, this node
		if n := ring[(i+j)%len(ring)]; member(n) {
			return n
		}
	}
	return nil
}

// handlePush applies a push and queues, to forward once, what was new to
// this node.
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
	e.queuePush(m.Hops+1, m.From, fwd)
}
