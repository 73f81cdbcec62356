package sim

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// SteadyParams parameterise Steady.
type SteadyParams struct {
	Common // Rounds default 30
}

// Steady measures a converged cluster at rest: traffic, false deaths and
// agreement over Rounds rounds.
func Steady(p SteadyParams) (*Result, error) {
	r, err := warmRun("steady", p.withDefaults(30))
	if err != nil {
		return nil, err
	}
	if err := r.rounds(r.p.Rounds); err != nil {
		return nil, err
	}
	return r.finish()
}

// UpdateParams parameterise Update.
type UpdateParams struct {
	Common // Rounds default 30
}

// Update writes one key on one random node of a converged cluster and
// measures when every other node first holds it, over Rounds rounds.
func Update(p UpdateParams) (*Result, error) {
	r, err := warmRun("update", p.withDefaults(30))
	if err != nil {
		return nil, err
	}
	if err := r.update(); err != nil {
		return nil, err
	}
	if err := r.rounds(r.p.Rounds); err != nil {
		return nil, err
	}
	return r.finish()
}

// CrashParams parameterise Crash.
type CrashParams struct {
	Common      // Rounds default 30
	Crashed int // nodes that fail at once; default 1% of Nodes, at least 1
}

// Crash crashes Crashed random nodes of a converged cluster at once and
// measures when each survivor reports each of them dead.
func Crash(p CrashParams) (*Result, error) {
	c := p.withDefaults(30)
	if p.Crashed == 0 {
		p.Crashed = max(1, c.Nodes/100)
	}
	r, err := warmRun("crash", c)
	if err != nil {
		return nil, err
	}
	r.crash(r.pick(p.Crashed))
	if err := r.rounds(r.p.Rounds); err != nil {
		return nil, err
	}
	return r.finish()
}

// ChurnParams parameterise Churn.
type ChurnParams struct {
	Common // Rounds (the churn period) default 60
	// Joins, Leaves and Restarts are spread at random over the churn
	// period; defaults 5% of Nodes each, at least 1.
	Joins, Leaves, Restarts int
	// Downtime is how long a restarting node stays down; default 5 s.
	Downtime time.Duration
	// QuietRounds bound the wait for convergence after the churn; default 120.
	QuietRounds int
}

// Churn runs a converged cluster through new nodes joining, nodes leaving
// and nodes restarting with their IDs, then measures how long the cluster
// takes to converge once it stops, and the false deaths on the way.
func Churn(p ChurnParams) (*Result, error) {
	c := p.withDefaults(60)
	d := max(1, c.Nodes/20)
	if p.Joins == 0 {
		p.Joins = d
	}
	if p.Leaves == 0 {
		p.Leaves = d
	}
	if p.Restarts == 0 {
		p.Restarts = d
	}
	if p.Downtime == 0 {
		p.Downtime = 5 * time.Second
	}
	if p.QuietRounds == 0 {
		p.QuietRounds = 120
	}
	r, err := warmRun("churn", c)
	if err != nil {
		return nil, err
	}
	period := time.Duration(c.Rounds) * c.Interval
	rng := r.s.Rand()
	at := func() time.Duration { return time.Duration(rng.Int64N(int64(period))) }
	for range p.Joins {
		r.s.After(at(), func() {
			n := r.s.AddNode()
			if err := r.s.Start(n.Index(), r.seedsFor(n.Index(), r.seeds), nil); err != nil {
				r.s.Fail(err)
			}
		})
	}
	for range p.Leaves {
		r.s.After(at(), func() {
			if n := r.randomUp(r.seedNodes()...); n != nil {
				r.s.Leave(n.Index(), 5*c.Interval)
			}
		})
	}
	for range p.Restarts {
		r.s.After(at(), func() {
			n := r.randomUp(r.seedNodes()...)
			if n == nil {
				return
			}
			r.s.Crash(n.Index())
			r.s.After(p.Downtime, func() {
				if !n.Up() {
					if err := r.s.Start(n.Index(), r.seedsFor(n.Index(), r.seeds), nil); err != nil {
						r.s.Fail(err)
					}
				}
			})
		})
	}
	if err := r.s.RunFor(period + p.Downtime); err != nil {
		return nil, err
	}
	if err := r.awaitConvergence(p.QuietRounds); err != nil {
		return nil, err
	}
	r.note("%d joins, %d leaves, %d restarts over %v", p.Joins, p.Leaves, p.Restarts, period)
	return r.finish()
}

// seedNodes returns the seed nodes, which churn spares so that joiners
// always find one.
func (r *run) seedNodes() []*Node {
	var ns []*Node
	for _, n := range r.s.Nodes() {
		if slices.Contains(r.seeds, n.Addr()) {
			ns = append(ns, n)
		}
	}
	return ns
}

// PartitionParams parameterise Partition.
type PartitionParams struct {
	Common // Rounds bound the wait for convergence after the heal; default 120
	// Fraction of the nodes on the minority side; default 0.5.
	Fraction float64
	// Duration of the split; default 30 s.
	Duration time.Duration
}

// Partition splits a converged cluster in two for Duration, writes a key on
// each side meanwhile, heals, and measures how long until every node holds
// identical state.
func Partition(p PartitionParams) (*Result, error) {
	c := p.withDefaults(120)
	if p.Fraction == 0 {
		p.Fraction = 0.5
	}
	if p.Duration == 0 {
		p.Duration = 30 * time.Second
	}
	r, err := warmRun("partition", c)
	if err != nil {
		return nil, err
	}
	perm := r.s.Rand().Perm(c.Nodes)
	k := max(1, int(p.Fraction*float64(c.Nodes)))
	a, b := perm[:k], perm[k:]
	r.s.Partition(a, b)
	if err := r.rounds(2); err != nil {
		return nil, err
	}
	for i, side := range [][]int{a, b} {
		if err := r.s.Set(side[0], fmt.Sprint("side", i), "written during the partition"); err != nil {
			return nil, err
		}
	}
	if err := r.s.RunFor(p.Duration - 2*c.Interval); err != nil {
		return nil, err
	}
	r.s.Heal()
	if err := r.awaitConvergence(c.Rounds); err != nil {
		return nil, err
	}
	r.note("split %d / %d for %v", len(a), len(b), p.Duration)
	return r.finish()
}

// LossParams parameterise Loss.
type LossParams struct {
	Common // Rounds per level default 30; Loss, if set, is the one level
	// Levels of uniform loss; default Loss alone if set, else 0, 5, 10,
	// 20, 30 and 50 %.
	Levels []float64
}

// Loss sweeps uniform loss levels: at each, a fresh converged cluster gets
// the loss, one update and one crash at once, for Rounds rounds. The
// top-level metrics are the worst over the sweep; Sweep holds each level.
func Loss(p LossParams) (*Result, error) {
	levels := p.Levels
	switch {
	case len(levels) > 0:
	case p.Loss > 0:
		levels = []float64{p.Loss}
	default:
		levels = []float64{0, 0.05, 0.1, 0.2, 0.3, 0.5}
	}
	wall := time.Now()
	var top *Result
	for _, l := range levels {
		c := p.withDefaults(30)
		c.Loss = l
		if p.SettleRounds == 0 {
			// Long enough for the detectors to learn the lossy
			// heartbeat intervals before the crash.
			c.SettleRounds = 60
		}
		r, err := newRun("loss", c)
		if err != nil {
			return nil, err
		}
		if err := r.warmup(); err != nil {
			return nil, err
		}
		victim := r.randomUp()
		if err := r.update(victim); err != nil {
			return nil, err
		}
		r.crash([]*Node{victim})
		if err := r.rounds(c.Rounds); err != nil {
			return nil, err
		}
		res, err := r.finish()
		if err != nil {
			return nil, err
		}
		if top == nil {
			cp := *res
			top = &cp
			top.UpdateTimes, top.DetectionTimes, top.MemberCountSeries, top.Notes = nil, nil, nil, nil
		} else {
			worst(top, res)
		}
		top.Sweep = append(top.Sweep, res)
	}
	top.Loss = levels[len(levels)-1]
	top.WallSeconds = time.Since(wall).Seconds()
	return top, nil
}

// worst folds b into a, keeping the worse value of each metric.
func worst(a, b *Result) {
	mx := func(x *float64, y float64) { *x = max(*x, y) }
	mi := func(x *int, y int) { *x = max(*x, y) }
	a.WarmupOK = a.WarmupOK && b.WarmupOK
	a.VirtualSeconds += b.VirtualSeconds
	a.NodeRounds += b.NodeRounds
	a.TraceHash = fmt.Sprintf("%016x", mix64(parseHex(a.TraceHash)^parseHex(b.TraceHash)))
	mi(&a.UpdateNodes, b.UpdateNodes)
	mi(&a.UpdateMissing, b.UpdateMissing)
	mx(&a.ConvergenceRoundsP50, b.ConvergenceRoundsP50)
	mx(&a.ConvergenceRoundsP99, b.ConvergenceRoundsP99)
	mx(&a.ConvergenceRoundsMax, b.ConvergenceRoundsMax)
	mx(&a.ConvergenceSecondsP50, b.ConvergenceSecondsP50)
	mx(&a.ConvergenceSecondsP99, b.ConvergenceSecondsP99)
	mx(&a.ConvergenceSecondsMax, b.ConvergenceSecondsMax)
	mi(&a.DetectionPairs, b.DetectionPairs)
	mi(&a.DetectionMissing, b.DetectionMissing)
	mx(&a.DetectionSecondsP50, b.DetectionSecondsP50)
	mx(&a.DetectionSecondsP99, b.DetectionSecondsP99)
	mx(&a.DetectionSecondsMax, b.DetectionSecondsMax)
	mi(&a.FalseDeadEvents, b.FalseDeadEvents)
	mx(&a.FalseDeadPerNodeHour, b.FalseDeadPerNodeHour)
	mi(&a.FalseDeadEventsHealthy, b.FalseDeadEventsHealthy)
	mi(&a.FaultDeadEvents, b.FaultDeadEvents)
	mi(&a.TrueDeadEvents, b.TrueDeadEvents)
	mi(&a.FalseLiveEvents, b.FalseLiveEvents)
	mx(&a.FalseLiveDownSecondsMax, b.FalseLiveDownSecondsMax)
	mx(&a.BytesPerNodePerSecMean, b.BytesPerNodePerSecMean)
	mx(&a.BytesPerNodePerSecP99, b.BytesPerNodePerSecP99)
	mx(&a.BytesPerNodePerSecMax, b.BytesPerNodePerSecMax)
	mx(&a.DatagramsPerNodePerSecMean, b.DatagramsPerNodePerSecMean)
	mx(&a.DatagramsPerNodePerSecP99, b.DatagramsPerNodePerSecP99)
	mx(&a.DatagramsPerNodePerSecMax, b.DatagramsPerNodePerSecMax)
	mi(&a.MaxDatagramBytes, b.MaxDatagramBytes)
	a.Converged = a.Converged && b.Converged
	if a.ConvergedAfterSeconds >= 0 && b.ConvergedAfterSeconds >= 0 {
		mx(&a.ConvergedAfterSeconds, b.ConvergedAfterSeconds)
	} else {
		a.ConvergedAfterSeconds = -1
	}
	mi(&a.DistinctMemberCountsMax, b.DistinctMemberCountsMax)
	mi(&a.DistinctMemberCountsHealthy, b.DistinctMemberCountsHealthy)
	mi(&a.StuckPairs, b.StuckPairs)
	a.DroppedOutgoing += b.DroppedOutgoing
	a.DroppedMalformed += b.DroppedMalformed
}

func parseHex(s string) uint64 {
	var v uint64
	fmt.Sscanf(s, "%x", &v)
	return v
}

// OneWayParams parameterise OneWay.
type OneWayParams struct {
	Common // Rounds default 60
	// Fraction of node pairs whose link drops one direction; default 0.1.
	Fraction float64
}

// OneWay cuts one direction of a random Fraction of the links of a
// converged cluster, then writes a key and crashes a node: gossip should
// relay around the cuts, with no false deaths.
func OneWay(p OneWayParams) (*Result, error) {
	c := p.withDefaults(60)
	if p.Fraction == 0 {
		p.Fraction = 0.1
	}
	r, err := warmRun("oneway", c)
	if err != nil {
		return nil, err
	}
	rng := r.s.Rand()
	cuts := 0
	for a := range c.Nodes {
		for b := a + 1; b < c.Nodes; b++ {
			if rng.Float64() < p.Fraction {
				if rng.IntN(2) == 0 {
					r.s.Cut(a, b)
				} else {
					r.s.Cut(b, a)
				}
				cuts++
			}
		}
	}
	r.note("%d of %d links drop one direction", cuts, c.Nodes*(c.Nodes-1)/2)
	if err := r.rounds(c.SettleRounds); err != nil {
		return nil, err
	}
	victim := r.randomUp()
	if err := r.update(victim); err != nil {
		return nil, err
	}
	r.crash([]*Node{victim})
	if err := r.rounds(c.Rounds); err != nil {
		return nil, err
	}
	return r.finish()
}

// CollectingTombstoneGrace is the default TombstoneGrace of the scenarios
// that wait for tombstones to be collected (delete-storm, gc-partition),
// instead of the library's hour.
const CollectingTombstoneGrace = 20 * time.Second

// collecting returns c with TombstoneGrace CollectingTombstoneGrace unless
// it is set.
func (c Common) collecting() Common {
	if c.TombstoneGrace == 0 {
		c.TombstoneGrace = CollectingTombstoneGrace
	}
	return c
}

// DeleteStormParams parameterise DeleteStorm.
type DeleteStormParams struct {
	Common // Rounds bound the wait for convergence after the deletes; default 120
	// Writers each set then delete Keys keys; defaults 20 and 200.
	Writers, Keys int
	// SpreadRounds between the sets and the deletes; default 5.
	SpreadRounds int
}

// DeleteStorm has Writers nodes set Keys keys each, then delete them all a
// few rounds later. At the end no node may hold any of the keys live and
// all must hold identical state; the run lasts past the tombstone grace
// period so tombstones are collected too.
func DeleteStorm(p DeleteStormParams) (*Result, error) {
	c := p.collecting().withDefaults(120)
	if p.Writers == 0 {
		p.Writers = 20
	}
	if p.Keys == 0 {
		p.Keys = 200
	}
	if p.SpreadRounds == 0 {
		p.SpreadRounds = 5
	}
	r, err := warmRun("delete-storm", c)
	if err != nil {
		return nil, err
	}
	writers := r.pick(min(p.Writers, c.Nodes))
	for _, w := range writers {
		for k := range p.Keys {
			if err := r.s.Set(w.Index(), fmt.Sprintf("storm-%03d", k), fmt.Sprintf("value %d of %s", k, w.ID())); err != nil {
				return nil, err
			}
		}
	}
	if err := r.rounds(p.SpreadRounds); err != nil {
		return nil, err
	}
	for _, w := range writers {
		for k := range p.Keys {
			r.s.Delete(w.Index(), fmt.Sprintf("storm-%03d", k))
		}
	}
	if err := r.awaitConvergence(c.Rounds); err != nil {
		return nil, err
	}
	// Stay past the tombstone grace period: collection must not bring
	// anything back.
	if err := r.s.RunFor(c.TombstoneGrace + 5*c.Interval); err != nil {
		return nil, err
	}
	for _, n := range r.s.Running() {
		for _, w := range writers {
			for k := range p.Keys {
				if _, ok := n.Engine().Get(w.ID(), fmt.Sprintf("storm-%03d", k)); ok {
					r.r.StaleKeys++
				}
			}
		}
	}
	r.note("%d writers x %d keys set, then deleted after %d rounds", len(writers), p.Keys, p.SpreadRounds)
	return r.finish()
}

// GCPartitionParams parameterise GCPartition.
type GCPartitionParams struct {
	Common // Rounds bound the wait for convergence after the heal; default 120
	// Owners each hold Keys keys, delete Deleted of them and rewrite the
	// others while one node is isolated; defaults 3, 300 and 200.
	Owners, Keys, Deleted int
	// Isolation lasts this long; default TombstoneGrace × 3.
	Isolation time.Duration
}

// GCPartition isolates one node for longer than the tombstone grace period
// while other nodes delete most of their keys (their tombstones are then
// collected everywhere) and rewrite the rest. After the heal the isolated
// node must be reset: it must hold no deleted key, hold every current value,
// and hand nothing stale back. The key sets are large, so the reset spans
// many datagrams.
func GCPartition(p GCPartitionParams) (*Result, error) {
	c := p.collecting().withDefaults(120)
	if p.Owners == 0 {
		p.Owners = 3
	}
	if p.Keys == 0 {
		p.Keys = 300
	}
	if p.Deleted == 0 {
		p.Deleted = 200
	}
	if p.Isolation == 0 {
		p.Isolation = 3 * c.TombstoneGrace
	}
	r, err := warmRun("gc-partition", c)
	if err != nil {
		return nil, err
	}
	owners := r.pick(min(p.Owners, c.Nodes-1))
	key := func(k int) string { return fmt.Sprintf("gc-%04d", k) }
	for _, o := range owners {
		for k := range p.Keys {
			if err := r.s.Set(o.Index(), key(k), fmt.Sprintf("old value %d", k)); err != nil {
				return nil, err
			}
		}
	}
	if ok, err := r.until(r.s.Converged, c.Rounds); err != nil {
		return nil, err
	} else if !ok {
		r.note("the keys did not spread within %d rounds", c.Rounds)
		return r.finish()
	}
	isolated := r.randomUp(owners...)
	r.s.Partition([]int{isolated.Index()})
	if err := r.rounds(2); err != nil {
		return nil, err
	}
	current := map[string]map[string]string{} // owner → key → value
	for _, o := range owners {
		cur := map[string]string{}
		for k := range p.Keys {
			if k < p.Deleted {
				r.s.Delete(o.Index(), key(k))
			} else {
				v := fmt.Sprintf("new value %d", k)
				if err := r.s.Set(o.Index(), key(k), v); err != nil {
					return nil, err
				}
				cur[key(k)] = v
			}
		}
		current[o.ID()] = cur
	}
	if err := r.s.RunFor(p.Isolation); err != nil {
		return nil, err
	}
	// The isolated node's replica of an owner needs a reset when it is
	// older than the owner's GC watermark (see delta.go).
	for _, o := range owners {
		held, _, ok := isolated.Engine().Versions(o.ID())
		_, gc, _ := o.Engine().Versions(o.ID())
		if ok && held < gc {
			r.r.ResetsNeeded++
		}
	}
	r.s.Heal()
	if err := r.awaitConvergence(c.Rounds); err != nil {
		return nil, err
	}
	if err := r.rounds(c.SettleRounds); err != nil {
		return nil, err
	}
	for _, n := range r.s.Running() {
		for _, o := range owners {
			for k := range p.Keys {
				v, ok := n.Engine().Get(o.ID(), key(k))
				want, live := current[o.ID()][key(k)]
				switch {
				case ok && !live:
					r.r.StaleKeys++
				case !ok && live, ok && v != want:
					r.r.MissingKeys++
				}
			}
		}
	}
	r.note("%s isolated for %v; %d owners deleted %d of %d keys and rewrote the rest", isolated.ID(), p.Isolation, len(owners), p.Deleted, p.Keys)
	return r.finish()
}

// MassRestartParams parameterise MassRestart.
type MassRestartParams struct {
	Common // Rounds bound the wait for convergence; default 120
	// Fraction of the nodes restart at once; default 0.3.
	Fraction float64
	// Downtime between crash and restart; default 2 s.
	Downtime time.Duration
}

// MassRestart crashes a Fraction of a converged cluster at once and restarts
// them all with the same IDs after Downtime: everyone must converge to the
// new generations and nobody may stay dead.
func MassRestart(p MassRestartParams) (*Result, error) {
	c := p.withDefaults(120)
	if p.Fraction == 0 {
		p.Fraction = 0.3
	}
	if p.Downtime == 0 {
		p.Downtime = 2 * time.Second
	}
	r, err := warmRun("mass-restart", c)
	if err != nil {
		return nil, err
	}
	victims := r.pick(max(1, int(p.Fraction*float64(c.Nodes))))
	for _, n := range victims {
		r.s.Crash(n.Index())
	}
	if err := r.s.RunFor(p.Downtime); err != nil {
		return nil, err
	}
	for _, n := range victims {
		seeds := r.seedsFor(n.Index(), r.seeds)
		if err := r.s.Start(n.Index(), seeds, nil); err != nil {
			return nil, err
		}
	}
	if err := r.awaitConvergence(c.Rounds); err != nil {
		return nil, err
	}
	r.note("%d nodes restarted at once after %v down", len(victims), p.Downtime)
	return r.finish()
}

// LeaveRejoinParams parameterise LeaveRejoin.
type LeaveRejoinParams struct {
	Common // Rounds bound the wait for convergence after the rejoin; default 60
	// Leavers leave at once; default 1.
	Leavers int
	// Downtime between the leave and the restart; default 10 s.
	Downtime time.Duration
}

// LeaveRejoin makes nodes leave gracefully: peers must report them dead
// promptly, well before the failure detector would; then they start again
// with the same IDs and must be live everywhere.
func LeaveRejoin(p LeaveRejoinParams) (*Result, error) {
	c := p.withDefaults(60)
	if p.Leavers == 0 {
		p.Leavers = 1
	}
	if p.Downtime == 0 {
		p.Downtime = 10 * time.Second
	}
	r, err := warmRun("leave-rejoin", c)
	if err != nil {
		return nil, err
	}
	leavers := r.pick(p.Leavers, r.seedNodes()...)
	det := newDeathTracker(r.s)
	for _, n := range leavers {
		det.failed(n)
		r.s.Leave(n.Index(), 5*c.Interval)
	}
	if err := r.s.RunFor(p.Downtime); err != nil {
		return nil, err
	}
	ts, missing := det.times()
	d := summarize(seconds(ts))
	r.r.LeaveDetectionSecP50, r.r.LeaveDetectionSecP99, r.r.LeaveDetectionSecMax = d.p50, d.p99, d.max
	r.r.LeaveDetectionMissing = missing
	stillUp := 0
	for _, n := range leavers {
		if n.Up() {
			stillUp++
		}
		if err := r.s.Start(n.Index(), r.seedsFor(n.Index(), r.seeds), nil); err != nil {
			return nil, err
		}
	}
	if stillUp > 0 {
		r.note("%d leavers were still running after %v", stillUp, p.Downtime)
	}
	if err := r.awaitConvergence(c.Rounds); err != nil {
		return nil, err
	}
	return r.finish()
}

// Scenario is a named scenario run with default specific parameters.
type Scenario struct {
	Name string
	Doc  string
	Run  func(Common) (*Result, error)
}

// Scenarios lists every scenario, sorted by name.
var Scenarios = sortedScenarios([]Scenario{
	{"steady", "bandwidth and stability at rest", func(c Common) (*Result, error) { return Steady(SteadyParams{c}) }},
	{"update", "one key set on one node", func(c Common) (*Result, error) { return Update(UpdateParams{c}) }},
	{"crash", "1% of the nodes fail at once", func(c Common) (*Result, error) { return Crash(CrashParams{Common: c}) }},
	{"churn", "joins, leaves and restarts", func(c Common) (*Result, error) { return Churn(ChurnParams{Common: c}) }},
	{"partition", "split in two, heal, converge", func(c Common) (*Result, error) { return Partition(PartitionParams{Common: c}) }},
	{"loss", "uniform loss (a sweep, or -loss alone) with an update and a crash", func(c Common) (*Result, error) { return Loss(LossParams{Common: c}) }},
	{"oneway", "10% of links drop one direction", func(c Common) (*Result, error) { return OneWay(OneWayParams{Common: c}) }},
	{"flipflop", "10 nodes lose all ingress 20 s on / 20 s off", func(c Common) (*Result, error) { return FlipFlop(FlipFlopParams{Common: c}) }},
	{"lossy-few", "1% of the nodes lose 80% of their datagrams", func(c Common) (*Result, error) { return LossyFew(LossyFewParams{Common: c}) }},
	{"bootstrap", "all nodes join through one seed", func(c Common) (*Result, error) { return Bootstrap(BootstrapParams{c}) }},
	{"delete-storm", "20 nodes x 200 keys set then deleted", func(c Common) (*Result, error) { return DeleteStorm(DeleteStormParams{Common: c}) }},
	{"gc-partition", "a node isolated past the tombstone grace period", func(c Common) (*Result, error) { return GCPartition(GCPartitionParams{Common: c}) }},
	{"mass-restart", "30% of the nodes restart at once", func(c Common) (*Result, error) { return MassRestart(MassRestartParams{Common: c}) }},
	{"join", "one node that knows nothing joins a running cluster through one seed", func(c Common) (*Result, error) { return Join(JoinParams{Common: c}) }},
	{"leave-rejoin", "a node leaves, then starts again with its ID", func(c Common) (*Result, error) { return LeaveRejoin(LeaveRejoinParams{Common: c}) }},
	{"counter", "leaderless counter: an increment every 1 ms, queries at random nodes", func(c Common) (*Result, error) { return Counter(CounterParams{Common: c}) }},
})

func sortedScenarios(s []Scenario) []Scenario {
	sort.Slice(s, func(i, j int) bool { return s[i].Name < s[j].Name })
	return s
}

// Lookup returns the scenario called name.
func Lookup(name string) (Scenario, bool) {
	for _, s := range Scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// warmRun starts a run of the named scenario and takes it through the
// warm-up (join and converge).
func warmRun(name string, c Common) (*run, error) {
	r, err := newRun(name, c)
	if err != nil {
		return nil, err
	}
	if err := r.warmup(); err != nil {
		return nil, err
	}
	return r, nil
}
