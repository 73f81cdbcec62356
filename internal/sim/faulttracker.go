package sim

import (
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// FaultResult holds the figures of scenarios with faulty nodes
// (lossy-few, flipflop), counted from the start of the fault to its end
// (lossy-few: the end of the run). The JSON field names are documented in
// the package comment.
type FaultResult struct {
	// FaultNodes is the number of faulty nodes.
	FaultNodes int `json:"fault_nodes"`
	// FaultNodeDeadPerObserverMax and Min are the most and the fewest
	// NodeDead events a healthy node emitted about one faulty node.
	FaultNodeDeadPerObserverMax int `json:"fault_node_dead_per_observer_max"`
	FaultNodeDeadPerObserverMin int `json:"fault_node_dead_per_observer_min"`
	// FaultNodeLivePerObserverMax is the most NodeLive events a healthy
	// node emitted about one faulty node.
	FaultNodeLivePerObserverMax int `json:"fault_node_live_per_observer_max"`
	// FaultNodeDeadSecondsMax is the longest time from the start of the
	// fault to a healthy node's first NodeDead about a faulty node; -1 if
	// some healthy node never reported some faulty node dead.
	FaultNodeDeadSecondsMax float64 `json:"fault_node_dead_seconds_max"`
	// FaultNodeRemovedShareMin is, over the faulty nodes, the smallest
	// share of the healthy running nodes that do not hold it live when
	// the fault ends.
	FaultNodeRemovedShareMin float64 `json:"fault_node_removed_share_min"`
	// HealthyNodeDeadEvents counts NodeDead events of healthy nodes about
	// running healthy nodes during the fault (what the faulty nodes make of
	// the others is their own view).
	HealthyNodeDeadEvents int `json:"healthy_node_dead_events"`
	// DistinctMemberCountsHealthyLate is the most distinct member counts
	// among healthy nodes at once, sampled from AgreementDelay after the
	// start of the fault to its end.
	DistinctMemberCountsHealthyLate int `json:"distinct_member_counts_max_healthy_after_60s"`
}

// AgreementDelay is how long after the start of a fault
// FaultResult.DistinctMemberCountsHealthyLate starts sampling: the healthy
// nodes must agree on the faulty ones by then.
const AgreementDelay = 60 * time.Second

// faultTracker follows the nodes a scenario makes faulty (lossy-few,
// flipflop) from the moment their fault begins until it ends: how often
// each healthy node (one that is never faulty) reports each faulty node
// dead or live, how long until each healthy node first reports each
// faulty node dead, and, when the fault ends, how many healthy nodes no
// longer hold each faulty node live.
type faultTracker struct {
	s        *Sim
	faulty   []*Node
	slot     []int // by node index: position in faulty, -1 for healthy
	t0       int64
	stopped  bool
	dead     []int   // (observer index × len(faulty) + position) → NodeDead events
	live     []int   // the same for NodeLive
	first    []int64 // the same: first NodeDead since t0, -1 before
	observer []bool  // by node index: healthy and running at t0
	removed  float64 // the smallest removed share, taken by stop
	// healthyDead counts NodeDead events of healthy nodes about healthy
	// running nodes.
	healthyDead int
	late        int // DistinctMemberCountsHealthyLate, taken by stop
	memb        *memberSampler
}

// trackFaults starts following faulty, whose fault begins now; memb
// samples the member counts.
func trackFaults(s *Sim, faulty []*Node, memb *memberSampler) *faultTracker {
	n := s.Len()
	f := &faultTracker{
		s: s, faulty: faulty, t0: s.now, removed: -1, memb: memb,
		slot:     make([]int, n),
		dead:     make([]int, n*len(faulty)),
		live:     make([]int, n*len(faulty)),
		first:    make([]int64, n*len(faulty)),
		observer: make([]bool, n),
	}
	for i := range f.slot {
		f.slot[i] = -1
	}
	for k, x := range faulty {
		f.slot[x.index] = k
	}
	for i := range f.first {
		f.first[i] = -1
	}
	for _, o := range s.nodes {
		f.observer[o.index] = o.up && f.slot[o.index] < 0
	}
	s.OnEvent(f.event)
	return f
}

func (f *faultTracker) event(o *Node, ev gossip.Event) {
	if f.stopped || (ev.Type != gossip.NodeDead && ev.Type != gossip.NodeLive) {
		return
	}
	idx, ok := f.s.byAddr[ev.Node.Addr]
	if !ok || int(idx) >= len(f.slot) || o.index >= len(f.slot) {
		return
	}
	if f.slot[o.index] >= 0 {
		return // a faulty node's own view
	}
	k := f.slot[idx]
	if k < 0 {
		if ev.Type == gossip.NodeDead && f.s.nodes[idx].up && !f.s.nodes[idx].leaving {
			f.healthyDead++
		}
		return
	}
	i := o.index*len(f.faulty) + k
	if ev.Type == gossip.NodeLive {
		f.live[i]++
		return
	}
	f.dead[i]++
	if f.first[i] < 0 {
		f.first[i] = f.s.now - f.t0
	}
}

// stop ends the counting: the fault is over, or the run is. It takes the
// removed share now.
func (f *faultTracker) stop() {
	if f.stopped {
		return
	}
	f.stopped = true
	f.removed = -1
	if f.memb != nil {
		f.late = f.memb.maxHealthySince(f.t0 + int64(AgreementDelay))
	}
	for _, x := range f.faulty {
		healthy, out := 0, 0
		for _, o := range f.s.nodes {
			if !o.up || o.index >= len(f.slot) || f.slot[o.index] >= 0 {
				continue
			}
			healthy++
			if !o.core.IsLive(x.id) {
				out++
			}
		}
		if healthy == 0 {
			continue
		}
		share := float64(out) / float64(healthy)
		if f.removed < 0 || share < f.removed {
			f.removed = share
		}
	}
}

// observers returns the healthy nodes that ran from the start of the fault
// to now: the ones whose counts are judged.
func (f *faultTracker) observers() []*Node {
	var os []*Node
	for _, o := range f.s.nodes {
		if o.index < len(f.observer) && f.observer[o.index] && o.up && o.startedAt <= f.t0 {
			os = append(os, o)
		}
	}
	return os
}

// result returns the tracker's figures.
func (f *faultTracker) result() *FaultResult {
	f.stop()
	res := &FaultResult{DistinctMemberCountsHealthyLate: f.late}
	res.FaultNodes = len(f.faulty)
	res.FaultNodeRemovedShareMin = f.removed
	res.HealthyNodeDeadEvents = f.healthyDead
	var firsts []time.Duration
	res.FaultNodeDeadPerObserverMin = -1
	missing := false
	for _, o := range f.observers() {
		for k := range f.faulty {
			i := o.index*len(f.faulty) + k
			res.FaultNodeDeadPerObserverMax = max(res.FaultNodeDeadPerObserverMax, f.dead[i])
			res.FaultNodeLivePerObserverMax = max(res.FaultNodeLivePerObserverMax, f.live[i])
			if res.FaultNodeDeadPerObserverMin < 0 || f.dead[i] < res.FaultNodeDeadPerObserverMin {
				res.FaultNodeDeadPerObserverMin = f.dead[i]
			}
			if f.first[i] < 0 {
				missing = true
			} else {
				firsts = append(firsts, time.Duration(f.first[i]))
			}
		}
	}
	res.FaultNodeDeadPerObserverMin = max(res.FaultNodeDeadPerObserverMin, 0)
	res.FaultNodeDeadSecondsMax = -1
	if !missing && len(firsts) > 0 {
		res.FaultNodeDeadSecondsMax = slices.Max(firsts).Seconds()
	}
	return res
}
