package sim

import "time"

// JoinParams parameterise Join.
type JoinParams struct {
	Common // Rounds bound the join; default 60
}

// Join warms up a cluster of Nodes-1 nodes, then starts one more node,
// which knows nothing, through one seed, and measures the time until it
// holds every running node's state at the version its owner holds
// (JoinStateSeconds, -1 if never within Rounds) and, meanwhile, the most
// bytes any node sent in one second (JoinPeakBytesPerSec).
func Join(p JoinParams) (*Result, error) {
	c := p.withDefaults(60)
	if c.Nodes < 2 {
		c.Nodes = 2
	}
	c.Nodes-- // the joiner comes on top
	r, err := warmRun("join", c)
	if err != nil {
		return nil, err
	}
	j := r.s.AddNode()
	r.r.Nodes++
	before := make([]uint64, r.s.Len())
	snapshot := func() {
		for _, n := range r.s.Nodes() {
			before[n.Index()] = n.BytesSent()
		}
	}
	snapshot()
	start := r.s.Elapsed()
	if err := r.s.Start(j.Index(), r.seeds[:1], nil); err != nil {
		return nil, err
	}
	holdsAll := func() bool {
		for _, n := range r.s.Nodes() {
			if n == j || !n.Up() {
				continue
			}
			own, _ := n.Engine().NodeVersion(n.ID(), r.s.Now())
			got, ok := j.Engine().NodeVersion(n.ID(), r.s.Now())
			if !ok || got.Generation != own.Generation || got.Held < own.Held {
				return false
			}
		}
		return true
	}
	r.r.JoinStateSeconds = -1
	peak := 0.0
	step := c.Interval / 10
	for k := 0; r.s.Elapsed()-start < time.Duration(c.Rounds)*c.Interval; k++ {
		if err := r.s.RunFor(step); err != nil {
			return nil, err
		}
		if k%10 == 9 { // a second's bytes, every second
			for _, n := range r.s.Nodes() {
				peak = max(peak, float64(n.BytesSent()-before[n.Index()])/(10*step).Seconds())
			}
			snapshot()
		}
		if holdsAll() {
			r.r.JoinStateSeconds = (r.s.Elapsed() - start).Seconds()
			break
		}
	}
	for _, n := range r.s.Nodes() { // the part-second since the last snapshot
		peak = max(peak, float64(n.BytesSent()-before[n.Index()])/c.Interval.Seconds())
	}
	r.r.JoinPeakBytesPerSec = peak
	if r.r.JoinStateSeconds < 0 {
		r.note("the joiner did not hold every node's state within %d rounds", c.Rounds)
	}
	r.measure()
	if err := r.awaitConvergence(c.Rounds); err != nil {
		return nil, err
	}
	return r.finish()
}
