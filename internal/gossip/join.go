package gossip

import (
	"fmt"
	"slices"
	"time"
)

// Joining. Join takes seed names ("host:port"); the engine asks its driver
// to resolve them (Ready.Resolve), because resolving is IO, and sends each
// resolved seed a Syn when the answer comes (SeedsResolved). The join ends
// (Ready.JoinDone) when a seed answers, or after a timeout of five gossip
// intervals (at least 3 s, at most 30 s); until then the seeds are resolved
// and contacted again every half interval (at least 50 ms, at most 1 s).
// Either way the seeds stay: every round while no peer is live they are
// resolved again and contacted (gossipTargets), so a node started before
// its seeds, or cut off, joins on its own later.

// Resolution is a driver's answer for one seed name.
type Resolution struct {
	Name string // as given to Join
	Addr string // the resolved transport address, when Err is nil
	Err  error
}

// joinState holds the seeds and the join in progress.
type joinState struct {
	names    []string          // every seed name given to Join, in order
	resolved map[string]string // name → address, as last resolved
	addrs    []string          // resolved addresses of names, in order
	errs     map[string]error  // latest resolution error, by name

	active    bool                // a join waits for an answer
	pending   []string            // the names this join contacts
	resolving bool                // its Syns go out when resolution answers
	wait      map[string]struct{} // addresses whose answer ends the join
	refused   map[string]error    // addresses that refused us, and why (joindiag.go)
	since     time.Time           // when the join started
	deadline  time.Time           // zero: none
	retryAt   time.Time
	followUp  string    // a seed that answered: exchange with it again soon
	followAt  time.Time // when: zero until settle sets it (followUpDue)
}

func (j *joinState) init() {
	j.resolved = make(map[string]string)
	j.errs = make(map[string]error)
	j.wait = make(map[string]struct{})
	j.refused = make(map[string]error)
}

// due returns when the join in progress next needs a tick (zero: never).
func (j *joinState) due() time.Time {
	if !j.active {
		return time.Time{}
	}
	if j.deadline.IsZero() {
		return j.retryAt
	}
	return minTime(j.deadline, j.retryAt)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// Join starts contacting the seeds, for at most the join timeout (see
// JoinUntil).
func (e *Engine) Join(now time.Time, seeds []string) {
	e.JoinUntil(now, seeds, now.Add(e.cfg.joinTimeout()))
}

// JoinUntil starts contacting the seeds until deadline (zero: no deadline;
// StopJoin ends it). A join already in progress takes the new seeds too,
// waits until the later deadline, and ends as one. An empty list ends the
// join at once, unless one is in progress.
func (e *Engine) JoinUntil(now time.Time, seeds []string, deadline time.Time) {
	j := &e.join
	for _, s := range seeds {
		if !slices.Contains(j.names, s) {
			j.names = append(j.names, s)
		}
	}
	if !j.active {
		if len(seeds) == 0 {
			e.joinDone(nil)
			return
		}
		j.active = true
		j.pending = j.pending[:0]
		clear(j.wait)
		clear(j.refused)
		j.since, j.deadline = now, deadline
		j.retryAt = now.Add(e.cfg.joinRetry())
	} else if deadline.IsZero() || (!j.deadline.IsZero() && deadline.After(j.deadline)) {
		j.deadline = deadline
	}
	for _, s := range seeds {
		if !slices.Contains(j.pending, s) {
			j.pending = append(j.pending, s)
		}
	}
	j.resolving = true
	e.requestResolve(j.pending)
	e.settle(now)
}

// SeedsResolved takes the driver's answer to Ready.Resolve. A name that
// failed to resolve keeps its previous address, if any.
func (e *Engine) SeedsResolved(now time.Time, rs []Resolution) {
	defer e.settle(now)
	j := &e.join
	for _, r := range rs {
		if r.Err != nil {
			j.errs[r.Name] = r.Err
			continue
		}
		delete(j.errs, r.Name)
		j.resolved[r.Name] = r.Addr
	}
	j.addrs = j.addrs[:0]
	for _, name := range j.names {
		if a, ok := j.resolved[name]; ok && a != e.self.addr && !slices.Contains(j.addrs, a) {
			j.addrs = append(j.addrs, a)
		}
	}
	if !j.active || !j.resolving || !j.answered() {
		return
	}
	j.resolving = false
	contacted, failed := 0, false
	for _, name := range j.pending {
		if _, bad := j.errs[name]; bad {
			failed = true
			continue
		}
		a, ok := j.resolved[name]
		if !ok || a == e.self.addr {
			continue
		}
		contacted++
		j.wait[a] = struct{}{}
		e.sendSyn(a)
	}
	if contacted == 0 && !failed {
		e.joinDone(nil) // every seed is this node: nobody to wait for
	}
}

// answered reports whether every name of the join has had an answer: an
// answer about other names (those of a round's resolution) must not end a
// join whose own names are still being resolved.
func (j *joinState) answered() bool {
	for _, name := range j.pending {
		_, bad := j.errs[name]
		if _, ok := j.resolved[name]; !ok && !bad {
			return false
		}
	}
	return true
}

// joinTimers ends a join past its deadline, or contacts its seeds again.
func (e *Engine) joinTimers(now time.Time) {
	j := &e.join
	switch {
	case !j.active:
	case !j.deadline.IsZero() && !now.Before(j.deadline):
		e.joinDone(e.JoinError(fmt.Errorf("%w within %v", ErrJoinTimeout, j.deadline.Sub(j.since).Round(time.Millisecond))))
	case !now.Before(j.retryAt):
		j.retryAt = j.retryAt.Add(e.cfg.joinRetry())
		if !j.retryAt.After(now) {
			j.retryAt = now.Add(e.cfg.joinRetry())
		}
		j.resolving = true
		e.requestResolve(j.pending)
	}
}

// heard notes a valid datagram from addr, which ends a join waiting on it.
// The answer to a joiner's first Syn is bounded (the seed does not know it
// yet, see replyLimit); by its Ack the joiner is known, so a second
// exchange brings it full datagrams of the cluster's state, and the stream
// of transfer.go. The second Syn waits a push gap (followUpDue): sent at
// once, it could overtake the Ack and reach a seed that does not know the
// joiner yet, which would answer it bounded again, and stream nothing.
func (e *Engine) heard(addr string) {
	if _, ok := e.join.wait[addr]; ok && e.join.active {
		e.joinDone(nil)
		e.join.followUp = addr
	}
}

// followUpDue reports whether the second exchange with the seed that
// answered is due at now, and schedules it when it is first asked.
func (e *Engine) followUpDue(now time.Time) bool {
	j := &e.join
	if j.followUp == "" {
		return false
	}
	if j.followAt.IsZero() {
		j.followAt = now.Add(e.pushGap())
	}
	return !now.Before(j.followAt)
}

// followUpAt returns when the second exchange is due (zero: none waits).
func (e *Engine) followUpAt() time.Time {
	if e.join.followUp == "" {
		return time.Time{}
	}
	return e.join.followAt
}

func (e *Engine) joinDone(err error) {
	j := &e.join
	j.active, j.resolving = false, false
	clear(j.wait)
	e.ready.JoinDone, e.ready.JoinErr = true, err
}

// requestResolve asks the driver to resolve names.
func (e *Engine) requestResolve(names []string) {
	for _, n := range names {
		if !slices.Contains(e.ready.Resolve, n) {
			e.ready.Resolve = append(e.ready.Resolve, n)
		}
	}
}
