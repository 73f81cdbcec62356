package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// Common are the parameters every scenario takes. Zero fields take the
// library's defaults (gossip.DefaultConfig, which DefaultLANConfig of the
// root package mirrors) or the simulator's, as listed.
type Common struct {
	Nodes      int           // cluster size; default 50
	Seed       uint64        // default 1
	Interval   time.Duration // GossipInterval; default the library's (1 s)
	Fanout     int           // GossipNodes; default the library's (3)
	Phi        float64       // PhiThreshold; default the library's (8)
	PacketSize int           // MaxPacketSize; default the library's (1400)
	// Observers is Config.Observers, K; default the library's
	// (gossip.DefaultObservers).
	Observers int
	// DisablePush is Config.DisablePush: changes travel by anti-entropy
	// alone, GossipNodes exchanges a round.
	DisablePush bool
	// NoCompress turns Config.Compression off; compression is on by
	// default, as in the library.
	NoCompress bool
	// Loss is the uniform datagram loss of the measured phase (the warm-up
	// runs without it).
	Loss    float64
	Latency time.Duration // mean one-way latency; default 2 ms
	Jitter  time.Duration // per-datagram jitter; default 1 ms
	// Duplicate and Reorder are the probabilities that a datagram is
	// delivered twice, or held back so that later ones overtake it.
	Duplicate, Reorder float64
	// Rounds is the length of the measured phase in gossip intervals;
	// each scenario has its own default.
	Rounds int
	// WarmupRounds bounds the warm-up (join and converge); default 1000.
	WarmupRounds int
	// ColdStart makes the warm-up a real bootstrap: every node starts
	// knowing only the seeds and learns the cluster by gossip. By default
	// every node starts knowing every member as live (Sim.Acquaint) and the
	// warm-up only waits for their keys to spread; scenario Bootstrap measures
	// joining on its own, always from cold.
	ColdStart bool
	// SettleRounds of calm after convergence give the failure detectors
	// a history before the scenario's faults; default 10.
	SettleRounds int
	// TombstoneGrace is Config.TombstoneGracePeriod; default the
	// library's (1 h), except in the scenarios that collect tombstones
	// (delete-storm, gc-partition: 20 s).
	TombstoneGrace time.Duration
	// DeadGrace is DeadNodeGracePeriod; default the library's (1 h).
	DeadGrace time.Duration
	// Configure, if set, edits each node's configuration last.
	Configure func(*gossip.Config)
}

func (c Common) withDefaults(rounds int) Common {
	lib := gossip.DefaultConfig()
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Nodes, 50)
	def(&c.Fanout, lib.GossipNodes)
	def(&c.PacketSize, lib.MaxPacketSize)
	def(&c.Observers, lib.Observers)
	def(&c.Rounds, rounds)
	def(&c.WarmupRounds, 1000)
	def(&c.SettleRounds, 10)
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Interval == 0 {
		c.Interval = lib.GossipInterval
	}
	if c.Phi == 0 {
		c.Phi = lib.Detector.PhiThreshold
	}
	if c.Latency == 0 {
		c.Latency = 2 * time.Millisecond
	}
	if c.Jitter == 0 {
		c.Jitter = time.Millisecond
	}
	if c.TombstoneGrace == 0 {
		c.TombstoneGrace = lib.TombstoneGracePeriod
	}
	if c.DeadGrace == 0 {
		c.DeadGrace = lib.DeadNodeGracePeriod
	}
	return c
}

// config returns the node configuration the parameters describe.
func (c Common) config(id string) gossip.Config {
	cfg := DefaultConfig(id)
	cfg.GossipInterval = c.Interval
	cfg.GossipNodes = c.Fanout
	cfg.MaxPacketSize = c.PacketSize
	cfg.TombstoneGracePeriod = c.TombstoneGrace
	cfg.Detector.PhiThreshold = c.Phi
	cfg.DeadNodeGracePeriod = c.DeadGrace
	cfg.Compression = !c.NoCompress
	cfg.Observers = c.Observers
	cfg.DisablePush = c.DisablePush
	if c.Configure != nil {
		c.Configure(&cfg)
	}
	return cfg
}

// run is the state shared by a scenario's phases.
type run struct {
	p      Common
	s      *Sim
	r      *Result
	wall   time.Time
	deaths *deathCounter
	meter  *meter
	memb   *memberSampler
	stop   bool
	upd    *updateTracker
	det    *deathTracker
	faults *faultTracker
	seeds  []string
}

// newRun builds the simulation of p, with every node started and joining
// the first three nodes at time 0.
func newRun(name string, p Common) (*run, error) {
	if p.Nodes < 2 {
		return nil, fmt.Errorf("sim: %s needs at least 2 nodes, got %d", name, p.Nodes)
	}
	s := New(Options{
		Nodes:  p.Nodes,
		Seed:   p.Seed,
		Config: p.config,
		Net:    Network{Latency: p.Latency, Jitter: p.Jitter, Duplicate: p.Duplicate, Reorder: p.Reorder},
	})
	r := &run{p: p, s: s, wall: time.Now(), r: &Result{
		Scenario: name, Nodes: p.Nodes, Seed: p.Seed, IntervalSec: p.Interval.Seconds(), Fanout: p.Fanout,
		PhiThreshold: p.Phi, MaxPacketSize: p.PacketSize, Observers: p.Observers, Compression: !p.NoCompress,
		Push: !p.DisablePush, Loss: p.Loss, LatencySec: p.Latency.Seconds(),
	}}
	for i := range min(3, p.Nodes) {
		r.seeds = append(r.seeds, s.Node(i).Addr())
	}
	r.deaths = countDeaths(s)
	return r, nil
}

// startAll starts every node at once, each joining the seeds.
func (r *run) startAll(seeds []string) error {
	for i := range r.s.Len() {
		if err := r.s.Start(i, r.seedsFor(i, seeds), nil); err != nil {
			return err
		}
	}
	return r.s.Err()
}

// seedsFor returns seeds without node i's own address.
func (r *run) seedsFor(i int, seeds []string) []string {
	a := r.s.Node(i).Addr()
	return slices.DeleteFunc(slices.Clone(seeds), func(s string) bool { return s == a })
}

// warmup starts the cluster (acquainted unless ColdStart) and waits for it
// to converge, then turns on the scenario's loss, lets the failure
// detectors settle under it, and starts measuring traffic and member counts.
func (r *run) warmup() error {
	if err := r.startAll(r.seeds); err != nil {
		return err
	}
	if !r.p.ColdStart {
		r.s.Acquaint()
	}
	// Large clusters may never be free of a suspected node at one instant:
	// go on once membership is complete and 99.9 % of the pairs are live.
	ready := func() bool { return r.s.Converged() || r.s.MembershipComplete(0.999) }
	ok, err := r.s.RunUntil(ready, r.p.Interval, time.Duration(r.p.WarmupRounds)*r.p.Interval)
	if err != nil {
		return err
	}
	r.r.WarmupOK = r.s.Converged()
	r.r.WarmupSeconds = r.s.Elapsed().Seconds()
	switch {
	case !ok:
		r.note("warm-up incomplete after %d rounds", r.p.WarmupRounds)
	case !r.r.WarmupOK:
		r.note("warm-up ended with complete membership but some pairs suspected")
	}
	r.s.SetLoss(r.p.Loss)
	if err := r.s.RunFor(time.Duration(r.p.SettleRounds) * r.p.Interval); err != nil {
		return err
	}
	r.measure()
	return nil
}

// measure starts the measured phase: NodeDead counts, traffic meter and
// member sampling.
func (r *run) measure() {
	r.r.WarmupFalseDead = r.deaths.false_
	*r.deaths = deathCounter{}
	r.meter = startMeter(r.s)
	r.memb = sampleMembers(r.s, r.p.Interval, func() bool { return r.stop })
}

func (r *run) note(format string, args ...any) {
	r.r.Notes = append(r.r.Notes, fmt.Sprintf(format, args...))
}

// rounds runs k gossip intervals.
func (r *run) rounds(k int) error {
	return r.s.RunFor(time.Duration(k) * r.p.Interval)
}

// until runs until cond holds, checking every interval, for at most k
// rounds; it returns whether cond held.
func (r *run) until(cond func() bool, k int) (bool, error) {
	return r.s.RunUntil(cond, r.p.Interval, time.Duration(k)*r.p.Interval)
}

// randomUp returns a random running node, not in excluded.
func (r *run) randomUp(excluded ...*Node) *Node {
	var cands []*Node
	for _, n := range r.s.Nodes() {
		if n.Up() && !n.Leaving() && !slices.Contains(excluded, n) {
			cands = append(cands, n)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	return cands[r.s.Rand().IntN(len(cands))]
}

// pick returns k distinct random running nodes.
func (r *run) pick(k int, excluded ...*Node) []*Node {
	var out []*Node
	for range k {
		n := r.randomUp(append(excluded, out...)...)
		if n == nil {
			break
		}
		out = append(out, n)
	}
	return out
}

// update writes a fresh key on a random node and tracks its spread.
func (r *run) update(excluded ...*Node) error {
	owner := r.randomUp(excluded...)
	if owner == nil {
		return fmt.Errorf("sim: no running node to write on")
	}
	key, value := "update", fmt.Sprintf("v@%d", r.s.Elapsed())
	if err := r.s.Set(owner.Index(), key, value); err != nil {
		return err
	}
	r.upd = trackUpdate(r.s, owner, key, value)
	return nil
}

// crash crashes nodes and tracks their detection.
func (r *run) crash(ns []*Node) {
	if r.det == nil {
		r.det = newDeathTracker(r.s)
	}
	for _, n := range ns {
		r.s.Crash(n.Index())
		r.det.failed(n)
	}
}

// finish fills in the result.
func (r *run) finish() (*Result, error) {
	r.stop = true
	s, res := r.s, r.r
	if err := s.Err(); err != nil {
		return nil, err
	}
	for _, n := range s.Running() { // the incremental fingerprints stayed exact
		if err := n.Engine().CheckFingerprint(); err != nil {
			return nil, err
		}
	}
	res.VirtualSeconds = s.Elapsed().Seconds()
	if r.upd != nil {
		ts, missing := r.upd.times()
		slices.Sort(ts)
		res.UpdateTimes = ts
		res.UpdateNodes = len(ts) + missing
		res.UpdateMissing = missing
		sec := summarize(seconds(ts))
		iv := r.p.Interval.Seconds()
		res.ConvergenceSecondsP50, res.ConvergenceSecondsP99, res.ConvergenceSecondsMax = sec.p50, sec.p99, sec.max
		res.ConvergenceRoundsP50, res.ConvergenceRoundsP99, res.ConvergenceRoundsMax = sec.p50/iv, sec.p99/iv, sec.max/iv
	}
	if r.det != nil {
		ts, missing := r.det.times()
		res.DetectionTimes = ts
		res.DetectionPairs = len(ts) + missing
		res.DetectionMissing = missing
		d := summarize(seconds(ts))
		res.DetectionSecondsP50, res.DetectionSecondsP99, res.DetectionSecondsMax = d.p50, d.p99, d.max
	}
	res.FalseDeadEvents = r.deaths.false_
	res.FalseDeadEventsHealthy = r.deaths.falseHealthy
	res.FaultDeadEvents = r.deaths.fault
	res.TrueDeadEvents = r.deaths.true_
	res.FalseLiveEvents = r.deaths.falseLive
	res.FalseLiveDownSecondsMax = r.deaths.falseLiveDownMax.Seconds()
	var nodeHours float64
	for _, n := range s.Nodes() {
		nodeHours += s.Uptime(n).Hours()
		if r.meter != nil && n.index < len(r.meter.up) {
			nodeHours -= r.meter.up[n.index].Hours()
		}
	}
	if nodeHours > 0 {
		res.FalseDeadPerNodeHour = float64(r.deaths.false_) / nodeHours
	}
	if r.meter != nil {
		bps, dps := r.meter.rates()
		b, d := summarize(bps), summarize(dps)
		res.BytesPerNodePerSecMean, res.BytesPerNodePerSecP99, res.BytesPerNodePerSecMax = b.mean, b.p99, b.max
		res.DatagramsPerNodePerSecMean, res.DatagramsPerNodePerSecP99, res.DatagramsPerNodePerSecMax = d.mean, d.p99, d.max
	}
	res.MaxDatagramBytes = s.MaxDatagram()
	if r.memb != nil {
		res.DistinctMemberCountsMax = r.memb.maxAll
		res.DistinctMemberCountsHealthy = r.memb.maxHealthy
		res.MemberCountSeries = r.memb.series
	}
	if r.faults != nil {
		res.FaultResult = r.faults.result()
	}
	res.Converged = s.Converged()
	res.StuckPairs = s.StuckPairs()
	var rounds uint64
	for _, n := range s.Nodes() {
		if n.Up() {
			st := n.Engine().Stats(s.Now())
			res.DroppedOutgoing += st.DroppedOutgoing
			res.DroppedMalformed += st.DroppedMalformed
		}
	}
	for _, n := range s.Nodes() {
		rounds += uint64(s.Uptime(n) / r.p.Interval)
	}
	res.NodeRounds = rounds
	res.TraceHash = fmt.Sprintf("%016x", s.TraceHash())
	res.WallSeconds = time.Since(r.wall).Seconds()
	return res, nil
}

// awaitConvergence runs until the cluster converges, for at most k rounds,
// and records how long that took from now (-1: it did not). Call it once
// the engines can see the last fault: right after a crash, say, they still
// agree on the old membership.
func (r *run) awaitConvergence(k int) error {
	t0 := r.s.Elapsed()
	ok, err := r.until(r.s.Converged, k)
	if err != nil {
		return err
	}
	r.r.ConvergedAfterSeconds = (r.s.Elapsed() - t0).Seconds()
	if !ok {
		r.r.ConvergedAfterSeconds = -1
		r.note("not converged %d rounds after the last fault", k)
	}
	return nil
}
