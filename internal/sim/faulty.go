package sim

import (
	"time"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// FlipFlopPeriod is FlipFlop's default flapping period.
const FlipFlopPeriod = 5 * time.Minute

// FlipFlopParams parameterise FlipFlop.
type FlipFlopParams struct {
	Common // Rounds: the flapping period; default 5 minutes
	// Flippers lose all their ingress periodically; default 10 (at most
	// a fifth of the nodes).
	Flippers int
	// On and Off are the lengths of the lossy and the clean phases;
	// default 20 s each.
	On, Off time.Duration
	// Settle is how many rounds the run waits, once the flipping stops,
	// for every node to agree again; default 60. A flipper that was
	// removed rejoins on probation (60 rounds after its first removal,
	// doubling with each later one, up to 480), so agreement may take
	// longer than the default.
	Settle int
}

// FlipFlop reproduces the Rapid paper's flip-flop experiment: Flippers nodes
// lose all incoming datagrams for On, then none for Off, repeatedly, for
// Rounds, starting with a lossy phase. Their egress works throughout, so
// the others can keep hearing them; a node that hears nobody must be
// removed, and must not flap (one NodeDead and at most one NodeLive per
// healthy node and flipper over the run: see FaultResult, counted over the
// flapping period), the healthy nodes must not convict each other, and
// the distinct cluster sizes the nodes report say how well they agree.
// Then the flippers are healed and the cluster must converge.
func FlipFlop(p FlipFlopParams) (*Result, error) {
	if p.On == 0 {
		p.On = 20 * time.Second
	}
	if p.Off == 0 {
		p.Off = 20 * time.Second
	}
	c := p.Common
	if c.Interval == 0 {
		c.Interval = gossip.DefaultConfig().GossipInterval
	}
	c = c.withDefaults(int(FlipFlopPeriod / c.Interval))
	if p.Flippers == 0 {
		p.Flippers = min(10, max(1, c.Nodes/5))
	}
	r, err := warmRun("flipflop", c)
	if err != nil {
		return nil, err
	}
	flippers := r.pick(p.Flippers)
	period := time.Duration(c.Rounds) * c.Interval
	r.faults = trackFaults(r.s, flippers, r.memb)
	var on func()
	on = func() {
		for _, n := range flippers {
			r.s.SetNodeLoss(n.Index(), 1, 0)
		}
		r.s.After(p.On, func() {
			for _, n := range flippers {
				r.s.SetNodeLoss(n.Index(), 0, 0)
			}
			if r.s.Elapsed()+p.Off < r.meterStart()+period {
				r.s.After(p.Off, on)
			}
		})
	}
	on()
	if err := r.s.RunFor(period); err != nil {
		return nil, err
	}
	r.faults.stop()
	for _, n := range flippers {
		r.s.SetNodeLoss(n.Index(), 0, 0)
	}
	if p.Settle == 0 {
		p.Settle = 60
	}
	if err := r.awaitConvergence(p.Settle); err != nil {
		return nil, err
	}
	r.note("%d nodes lose all ingress %v on / %v off", len(flippers), p.On, p.Off)
	return r.finish()
}

func (r *run) meterStart() time.Duration { return time.Duration(r.meter.t0) }

// LossyFewParams parameterise LossyFew.
type LossyFewParams struct {
	Common // Rounds default 120
	// Fraction of nodes that lose Loss of their datagrams, both ways;
	// default 1 %, at least one node.
	Fraction float64
	// NodeLoss default 0.8.
	NodeLoss float64
}

// LossyFew makes a few nodes lose most of their datagrams in both
// directions, for the rest of the run, then writes a key on a healthy node:
// each healthy node should report each lossy node dead once and never live
// again while it stays lossy, no healthy node should be reported dead, and
// the healthy nodes should agree (see FaultResult).
func LossyFew(p LossyFewParams) (*Result, error) {
	c := p.withDefaults(120)
	if p.Fraction == 0 {
		p.Fraction = 0.01
	}
	if p.NodeLoss == 0 {
		p.NodeLoss = 0.8
	}
	r, err := warmRun("lossy-few", c)
	if err != nil {
		return nil, err
	}
	lossy := r.pick(max(1, int(p.Fraction*float64(c.Nodes))))
	for _, n := range lossy {
		r.s.SetNodeLoss(n.Index(), p.NodeLoss, p.NodeLoss)
	}
	r.faults = trackFaults(r.s, lossy, r.memb)
	if err := r.rounds(c.SettleRounds); err != nil {
		return nil, err
	}
	if err := r.update(lossy...); err != nil {
		return nil, err
	}
	if err := r.rounds(c.Rounds); err != nil {
		return nil, err
	}
	r.note("%d nodes lose %.0f%% of their datagrams both ways", len(lossy), p.NodeLoss*100)
	return r.finish()
}
