package sim

import (
	"slices"
	"time"

	"golang.org/x/exp/stats"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// summary is the p50, p99, max and mean of some samples. Quantiles are
// golang.org/x/exp/stats's: linear interpolation between the closest ranks
// (Hyndman and Fan's R-7), the p99 of 100 samples lying between the 99th
// and the 100th.
type summary struct{ p50, p99, max, mean float64 }

func summarize(xs []float64) summary {
	if len(xs) == 0 {
		return summary{}
	}
	q := stats.Quantiles(xs, 0.5, 0.99, 1)
	return summary{p50: q[0], p99: q[1], max: q[2], mean: stats.Mean(xs)}
}

func seconds(ds []time.Duration) []float64 {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = d.Seconds()
	}
	return xs
}

// updateTracker records when each node first holds owner's key at value.
type updateTracker struct {
	s          *Sim
	owner      *Node
	key, value string
	t0         int64
	want       []bool  // by node index: counted
	at         []int64 // by node index: first time held, -1 before
	pending    int
}

// trackUpdate starts tracking owner's key=value, which owner just wrote, at
// every node running now but owner.
func trackUpdate(s *Sim, owner *Node, key, value string) *updateTracker {
	u := &updateTracker{s: s, owner: owner, key: key, value: value, t0: s.now}
	u.want = make([]bool, s.Len())
	u.at = make([]int64, s.Len())
	for _, n := range s.nodes {
		u.at[n.index] = -1
		if n.up && n != owner {
			u.want[n.index] = true
			u.pending++
		}
	}
	s.OnReceive(u.check)
	return u
}

func (u *updateTracker) check(n *Node) {
	if u.pending == 0 || n.index >= len(u.want) || !u.want[n.index] || u.at[n.index] >= 0 || !n.up {
		return
	}
	if v, ok := n.core.Get(u.owner.id, u.key); ok && v == u.value {
		u.at[n.index] = u.s.now
		u.pending--
	}
}

// times returns, for the counted nodes still running, the time each took
// to hold the update, and the number that never did.
func (u *updateTracker) times() (ts []time.Duration, missing int) {
	for i, w := range u.want {
		if !w || !u.s.nodes[i].up {
			continue
		}
		if u.at[i] < 0 {
			missing++
			continue
		}
		ts = append(ts, time.Duration(u.at[i]-u.t0))
	}
	return ts, missing
}

// deathTracker records, for nodes that failed at a known time, when each
// running observer first reported them dead.
type deathTracker struct {
	s       *Sim
	since   map[string]int64 // subject ID → failure time
	first   map[[2]int]int64 // (observer, subject index) → report time
	subject map[string]int   // subject ID → index
}

func newDeathTracker(s *Sim) *deathTracker {
	d := &deathTracker{s: s, since: map[string]int64{}, first: map[[2]int]int64{}, subject: map[string]int{}}
	s.OnEvent(func(o *Node, ev gossip.Event) {
		if ev.Type != gossip.NodeDead {
			return
		}
		t0, ok := d.since[ev.Node.ID]
		if !ok {
			return
		}
		k := [2]int{o.index, d.subject[ev.Node.ID]}
		if _, seen := d.first[k]; !seen && o.startedAt <= t0 {
			d.first[k] = s.now - t0
		}
	})
	return d
}

// failed records that n failed now.
func (d *deathTracker) failed(n *Node) {
	d.since[n.id] = d.s.now
	d.subject[n.id] = n.index
}

// times returns the report delays of every (running observer, failed node)
// pair whose observer ran since the failure, and the number of such pairs
// with no report.
func (d *deathTracker) times() (ts []time.Duration, missing int) {
	for _, o := range d.s.nodes {
		if !o.up {
			continue
		}
		for id, t0 := range d.since {
			x := d.subject[id]
			if x == o.index || o.startedAt > t0 {
				continue
			}
			if t, ok := d.first[[2]int{o.index, x}]; ok {
				ts = append(ts, time.Duration(t))
			} else {
				missing++
			}
		}
	}
	slices.Sort(ts)
	return ts, missing
}

// deathCounter classifies every NodeDead event, and counts NodeLive events
// about nodes that are not running.
type deathCounter struct {
	false_, falseHealthy, fault, true_ int
	falseLive                          int
	falseLiveDownMax                   time.Duration // the longest a node reported live had been down
}

func countDeaths(s *Sim) *deathCounter {
	c := &deathCounter{}
	s.OnEvent(func(o *Node, ev gossip.Event) {
		if ev.Type != gossip.NodeDead && ev.Type != gossip.NodeLive {
			return
		}
		idx, ok := s.byAddr[ev.Node.Addr]
		if !ok {
			return
		}
		x := s.nodes[idx]
		if ev.Type == gossip.NodeLive {
			if !x.up {
				c.falseLive++
				if x.stoppedAt > 0 {
					c.falseLiveDownMax = max(c.falseLiveDownMax, time.Duration(s.now-x.stoppedAt))
				}
			}
			return
		}
		switch s.ClassifyDeath(o, x) {
		case DeathTrue:
			c.true_++
		case DeathFault:
			c.fault++
		case DeathFalse:
			c.false_++
			if o.healthy() && x.healthy() {
				c.falseHealthy++
			}
		}
	})
	return c
}

// meter measures traffic over a window.
type meter struct {
	s            *Sim
	t0           int64
	bytes, grams []uint64
	up           []time.Duration
}

func startMeter(s *Sim) *meter {
	m := &meter{s: s, t0: s.now}
	for _, n := range s.nodes {
		m.bytes = append(m.bytes, n.bytesSent)
		m.grams = append(m.grams, n.datagramsSent)
		m.up = append(m.up, s.Uptime(n))
	}
	return m
}

// rates returns bytes and datagrams per second of each node that ran at
// least half the window.
func (m *meter) rates() (bps, dps []float64) {
	window := time.Duration(m.s.now - m.t0)
	for _, n := range m.s.nodes {
		var b, g uint64
		var up time.Duration
		if n.index < len(m.bytes) {
			b, g, up = m.bytes[n.index], m.grams[n.index], m.up[n.index]
		}
		run := m.s.Uptime(n) - up
		if run <= 0 || run < window/2 {
			continue
		}
		bps = append(bps, float64(n.bytesSent-b)/run.Seconds())
		dps = append(dps, float64(n.datagramsSent-g)/run.Seconds())
	}
	return bps, dps
}

// memberSampler samples, once per interval, how many distinct member counts
// (live peers + 1) the running nodes report.
type memberSampler struct {
	maxAll, maxHealthy int
	series             []int
	healthy            []int   // distinct counts among healthy nodes, by sample
	at                 []int64 // time of each sample
}

// maxHealthySince returns the most distinct member counts among healthy
// nodes in the samples taken at t or later.
func (m *memberSampler) maxHealthySince(t int64) int {
	most := 0
	for i, at := range m.at {
		if at >= t {
			most = max(most, m.healthy[i])
		}
	}
	return most
}

func sampleMembers(s *Sim, every time.Duration, until func() bool) *memberSampler {
	m := &memberSampler{}
	seen := map[int]struct{}{}
	seenHealthy := map[int]struct{}{}
	s.Every(every, func() bool {
		clear(seen)
		clear(seenHealthy)
		for _, n := range s.nodes {
			if !n.up {
				continue
			}
			seen[n.liveCount+1] = struct{}{}
			if n.healthy() {
				seenHealthy[n.liveCount+1] = struct{}{}
			}
		}
		m.maxAll = max(m.maxAll, len(seen))
		m.maxHealthy = max(m.maxHealthy, len(seenHealthy))
		m.series = append(m.series, len(seen))
		m.healthy = append(m.healthy, len(seenHealthy))
		m.at = append(m.at, s.now)
		return !until()
	})
	return m
}

// Converged reports whether every running node sees every other running
// node live and all hold identical state (equal Fingerprint).
func (s *Sim) Converged() bool {
	run := 0
	for _, n := range s.nodes {
		if n.up {
			run++
		}
	}
	var fp uint64
	first := true
	for _, n := range s.nodes {
		if !n.up {
			continue
		}
		if n.liveCount != run-1 {
			return false
		}
	}
	for _, n := range s.nodes {
		if !n.up {
			continue
		}
		f := n.core.Fingerprint()
		if first {
			fp, first = f, false
		} else if f != fp {
			return false
		}
	}
	return true
}

// MembershipComplete reports whether every running node holds every other
// running node as live or dead (none unknown or pending), and at least
// liveShare of all (observer, subject) pairs are live. Unlike Converged it
// tolerates a few nodes being suspected at the moment.
func (s *Sim) MembershipComplete(liveShare float64) bool {
	run := 0
	for _, n := range s.nodes {
		if n.up {
			run++
		}
	}
	total := 0
	for _, n := range s.nodes {
		if !n.up {
			continue
		}
		total += n.liveCount
		if n.liveCount < run-1 {
			live, pending, dead := n.core.Census()
			if pending > 0 || live+dead < run-1 {
				return false
			}
		}
	}
	return float64(total) >= liveShare*float64(run)*float64(run-1)
}

// StuckPairs counts (observer, subject) pairs of running nodes where the
// observer does not see the subject live in its current generation.
func (s *Sim) StuckPairs() int {
	stuck := 0
	for _, o := range s.nodes {
		if !o.up {
			continue
		}
		for _, x := range s.nodes {
			if x.up && x != o && !o.core.IsLive(x.id) {
				stuck++
			}
		}
	}
	return stuck
}
