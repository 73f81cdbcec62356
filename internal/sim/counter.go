package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt/examples/counter/pncounter"
)

// CounterParams parameterise Counter.
type CounterParams struct {
	Common // Rounds: the write phase; default 10
	// IncEvery is the virtual time between two increments, each of a
	// random counter on a random node; default 1 ms.
	IncEvery time.Duration
	// Keys is the number of counters; default 10.
	Keys int
	// Queries is the number of queries per gossip round, each of a
	// random counter at a random node, evenly spaced; default 10.
	Queries int
	// Fresh is how many gossip intervals a member's confirmation counts
	// for in a query (the window of pncounter.Read); default 3, as in
	// examples/counter.
	Fresh int
	// QuietRounds is how long the run goes on after the writes stop;
	// default 30.
	QuietRounds int
}

// Counter runs the leaderless counter of examples/counter on the
// simulated cluster: each node publishes its own running total of each
// counter (pncounter.Key), an increment of 1 goes to a random counter on a
// random running node every IncEvery, and Queries times a round a random
// node reads a random counter with pncounter.Read, as examples/counter's
// query does. A query's error is the true total (every increment made so
// far) minus the value read. After Rounds the writes stop, queries go on
// for QuietRounds, and at the end every node reads every counter: the
// totals are exact when all equal the truth.
//
// Queries fall in three phases: while writes run; after the last write,
// before the cluster settled (every running node holds every increment);
// and after quiescence, once writes stopped and the cluster settled. A
// query that says complete while it is wrong after quiescence is a failure
// of the completeness rule. Between the last write and settling, a node
// that lacks the last increments of some writer may hear digests of peers
// that lack them too, and say complete while wrong (pncounter.Read says
// what complete cannot see): those are counted apart. The traffic figures
// cover the write phase.
func Counter(p CounterParams) (*Result, error) {
	c := p.withDefaults(10)
	if p.IncEvery == 0 {
		p.IncEvery = time.Millisecond
	}
	if p.Keys == 0 {
		p.Keys = 10
	}
	if p.Queries == 0 {
		p.Queries = 10
	}
	if p.Fresh == 0 {
		p.Fresh = 3
	}
	if p.QuietRounds == 0 {
		p.QuietRounds = 30
	}
	r, err := warmRun("counter", c)
	if err != nil {
		return nil, err
	}
	k := newCounterRun(r, p)
	write := time.Duration(c.Rounds) * c.Interval
	writeEnd := r.s.now + int64(write)
	r.s.Every(p.IncEvery, func() bool {
		if r.s.now > writeEnd {
			return false
		}
		return k.inc() == nil
	})
	end := writeEnd + int64(time.Duration(p.QuietRounds)*c.Interval)
	r.s.Every(c.Interval/time.Duration(p.Queries), func() bool {
		stopped := r.s.now > writeEnd
		k.query(stopped, stopped && k.vis.missing() == 0)
		return r.s.now < end
	})
	if err := r.s.RunFor(write); err != nil {
		return nil, err
	}
	// The traffic under the write load.
	bps, dps := r.meter.rates()
	if err := r.s.RunFor(time.Duration(end - r.s.now)); err != nil {
		return nil, err
	}
	res, err := r.finish()
	if err != nil {
		return nil, err
	}
	b, d := summarize(bps), summarize(dps)
	res.BytesPerNodePerSecMean, res.BytesPerNodePerSecP99, res.BytesPerNodePerSecMax = b.mean, b.p99, b.max
	res.DatagramsPerNodePerSecMean, res.DatagramsPerNodePerSecP99, res.DatagramsPerNodePerSecMax = d.mean, d.p99, d.max
	res.CounterResult = k.result()
	r.note("%d increments of %d counters, one every %v for %v, then %d quiet rounds; %d queries a round",
		k.vis.writes, p.Keys, p.IncEvery, write, p.QuietRounds, p.Queries)
	return res, nil
}

// counterRun is the state of a Counter run.
type counterRun struct {
	r      *run
	p      CounterParams
	window time.Duration
	names  []string           // counter names
	truth  []int64            // by counter: every increment so far
	totals []map[string]int64 // by node index: its own totals
	// writers lists the IDs of the nodes that published a total, sorted:
	// the others pncounter.Read is given (examples/counter learns them by
	// subscription).
	writers  []string
	vis      *visibility
	lastInc  int64     // time of the last increment
	errs     []float64 // query errors while writes run
	qs       queryCounts
	firstErr error
}

// queryCounts counts queries by phase.
type queryCounts struct {
	writing, writingComplete, writingWrong int // wrong: complete and wrong
	stopped, stoppedWrong                  int
	quiet, quietComplete, quietWrong       int
}

func newCounterRun(r *run, p CounterParams) *counterRun {
	k := &counterRun{
		r: r, p: p, window: time.Duration(p.Fresh) * r.p.Interval,
		truth:  make([]int64, p.Keys),
		totals: make([]map[string]int64, r.s.Len()),
		vis:    newVisibility(r.s),
	}
	for i := range p.Keys {
		k.names = append(k.names, fmt.Sprintf("c%02d", i))
	}
	return k
}

// anyUp returns a random running node that takes writes, or nil.
func (k *counterRun) anyUp() *Node {
	nodes := k.r.s.nodes
	rng := k.r.s.Rand()
	for range 4 * len(nodes) {
		if n := nodes[rng.IntN(len(nodes))]; n.up && !n.paused && !n.leaving {
			return n
		}
	}
	return nil
}

// inc adds 1 to a random counter on a random node.
func (k *counterRun) inc() error {
	n := k.anyUp()
	if n == nil {
		return fmt.Errorf("sim: no running node to increment on")
	}
	c := k.r.s.Rand().IntN(len(k.names))
	if k.totals[n.index] == nil {
		k.totals[n.index] = map[string]int64{}
		i, _ := slices.BinarySearch(k.writers, n.id)
		k.writers = slices.Insert(k.writers, i, n.id)
	}
	t, err := pncounter.Add(k.totals[n.index][k.names[c]], 1)
	if err == nil {
		err = k.r.s.Set(n.index, pncounter.Key(k.names[c]), pncounter.FormatTotal(t))
	}
	if err != nil {
		k.r.s.Fail(err)
		return err
	}
	k.totals[n.index][k.names[c]] = t
	k.truth[c]++
	k.lastInc = k.r.s.now
	k.vis.wrote(n)
	return nil
}

// read reads every counter at node n now.
func (k *counterRun) read(n *Node) pncounter.Snapshot {
	return pncounter.Read(counterHolder{s: k.r.s, n: n}, k.writers, k.window, k.r.s.Now())
}

// query reads a random counter at a random node and counts the outcome in
// its phase: writing, stopped (writes over, not yet settled) or quiet.
func (k *counterRun) query(stopped, quiet bool) {
	n := k.anyUp()
	if n == nil {
		return
	}
	c := k.r.s.Rand().IntN(len(k.names))
	rd := k.read(n).Reading(k.names[c])
	if rd.Err != nil && k.firstErr == nil {
		k.firstErr = rd.Err
	}
	wrong := rd.Err != nil || rd.Value != k.truth[c]
	q := &k.qs
	switch {
	case !stopped:
		q.writing++
		k.errs = append(k.errs, float64(k.truth[c]-rd.Value))
		if rd.Complete {
			q.writingComplete++
			if wrong {
				q.writingWrong++
			}
		}
	case !quiet:
		q.stopped++
		if rd.Complete && wrong {
			q.stoppedWrong++
		}
	default:
		q.quiet++
		if rd.Complete {
			q.quietComplete++
			if wrong {
				q.quietWrong++
			}
		}
	}
}

// exact reports whether every running node reads every counter exactly.
func (k *counterRun) exact() bool {
	for _, n := range k.r.s.nodes {
		if !n.up {
			continue
		}
		snap := k.read(n)
		for c, name := range k.names {
			if rd := snap.Reading(name); rd.Err != nil || rd.Value != k.truth[c] {
				return false
			}
		}
	}
	return true
}

// result returns the counter figures of the run.
func (k *counterRun) result() *CounterResult {
	q := k.qs
	res := &CounterResult{
		Keys: len(k.names), Increments: k.vis.writes, IncEverySeconds: k.p.IncEvery.Seconds(),
		Queries: q.writing, QueriesAfterQuiescence: q.quiet,
		QueriesBeforeSettled: q.stopped, CompleteWhileWrongBeforeSettled: q.stoppedWrong,
		CompleteWhileWrongAfterQuiescence: q.quietWrong,
		TotalsExact:                       k.exact(),
		IncVisibleMissing:                 k.vis.missing(),
		SettledSeconds:                    -1,
	}
	share := func(n, of int) float64 {
		if of == 0 {
			return 0
		}
		return float64(n) / float64(of)
	}
	res.CompleteShare = share(q.writingComplete, q.writing)
	res.CompleteWhileWrongShare = share(q.writingWrong, q.writing)
	res.CompleteShareAfterQuiescence = share(q.quietComplete, q.quiet)
	e := summarize(k.errs)
	res.QueryErrorP50, res.QueryErrorP99, res.QueryErrorMax = e.p50, e.p99, e.max
	ts := make([]time.Duration, len(k.vis.times))
	for i, t := range k.vis.times {
		ts[i] = time.Duration(t)
	}
	v := summarize(seconds(ts))
	res.IncVisibleSecondsP50, res.IncVisibleSecondsP99, res.IncVisibleSecondsMax = v.p50, v.p99, v.max
	if res.IncVisibleMissing == 0 && k.vis.writes > 0 {
		res.SettledSeconds = max(0, time.Duration(k.vis.last-k.lastInc).Seconds())
	}
	if k.firstErr != nil {
		res.ReadError = k.firstErr.Error()
	}
	return res
}
