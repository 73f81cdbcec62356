package sim

import "time"

// BootstrapParams parameterise Bootstrap.
type BootstrapParams struct {
	Common // Rounds bound the bootstrap; default 300
}

// Bootstrap starts Nodes nodes at once, all joining through one seed, and
// measures the time until every node sees all Nodes members (from the last
// start: BootstrapSeconds) and all hold identical state; member counts are
// sampled from the start.
func Bootstrap(p BootstrapParams) (*Result, error) {
	c := p.withDefaults(300)
	r, err := newRun("bootstrap", c)
	if err != nil {
		return nil, err
	}
	r.s.SetLoss(c.Loss)
	r.measure()
	if err := r.startAll(r.seeds[:1]); err != nil {
		return nil, err
	}
	var last int64 // the last node's start
	for _, n := range r.s.Nodes() {
		last = max(last, n.startedAt)
	}
	all := func() bool {
		for _, n := range r.s.Nodes() {
			if n.LiveCount() != c.Nodes-1 {
				return false
			}
		}
		return true
	}
	r.r.WarmupSeconds, r.r.AllMembersSeconds = -1, -1
	done := func() bool {
		if r.r.WarmupSeconds < 0 && r.s.MembershipComplete(0.999) {
			r.r.WarmupSeconds = r.s.Elapsed().Seconds()
		}
		if all() {
			r.r.AllMembersSeconds = r.s.Elapsed().Seconds()
			return true
		}
		return false
	}
	ok, err := r.until(done, c.Rounds)
	if err != nil {
		return nil, err
	}
	r.r.WarmupOK = ok
	r.r.BootstrapSeconds = -1
	if ok {
		r.r.BootstrapSeconds = r.r.AllMembersSeconds - time.Duration(last).Seconds()
	}
	if !ok {
		r.note("never did every node see all %d members at once within %d rounds", c.Nodes, c.Rounds)
		r.r.ConvergedAfterSeconds = -1
		return r.finish()
	}
	if r.r.WarmupSeconds < 0 {
		r.r.WarmupSeconds = r.r.AllMembersSeconds
	}
	if err := r.awaitConvergence(c.Rounds - int(r.s.Elapsed()/c.Interval)); err != nil {
		return nil, err
	}
	if r.r.ConvergedAfterSeconds >= 0 {
		r.r.ConvergedAfterSeconds = r.s.Elapsed().Seconds()
	}
	return r.finish()
}
