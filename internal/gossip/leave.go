package gossip

import (
	"time"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Leaving. Leave writes a leave marker (a reserved key) and pushes it at
// once: a Syn to every live peer, and to the pending peers and recent
// callers (audience.go), whose SynAck asks for our newer state and gets the
// marker in our Ack. Peers holding the marker report us dead at
// once and never revive this generation from gossip. The push is repeated
// every quarter interval (at least 10 ms, at most 250 ms) until a peer's
// digest shows it holds the marker (Ready.LeaveDone), or at once when no
// peer is known.

// leaveState is the leave in progress.
type leaveState struct {
	version  uint64 // version of our leave marker; 0: not leaving
	acked    bool   // a peer's digest showed it holds the marker
	done     bool   // LeaveDone was reported
	repushAt time.Time
}

// due returns when the leave next needs a tick (zero: never).
func (l *leaveState) due() time.Time {
	if l.version == 0 || l.done {
		return time.Time{}
	}
	return l.repushAt
}

// Leave announces a graceful departure and pushes it to peers. The node
// keeps gossiping until its driver stops it, normally once Ready.LeaveDone
// is set.
func (e *Engine) Leave(now time.Time) {
	if e.leave.version == 0 {
		e.noteLeaveAudience(now) // audience.go: pending peers and callers hear it too
	}
	alone := e.liveCount() == 0 && len(e.diag.audience) == 0
	if e.leave.version == 0 {
		e.write(leftKey, "", wire.StatusLeft, now, time.Time{})
		e.leave.version = e.self.maxVersion
		// The leave goes out by Syn to every live peer (pushLeave), which
		// also carries whatever was not pushed yet: no push of its own.
		e.pushed, e.pushDue = e.self.maxVersion, false
	}
	e.pushLeave()
	e.leave.repushAt = now.Add(e.cfg.leaveRepush())
	if alone || e.leave.acked {
		e.leaveDone()
	}
	e.settle(now)
}

// leaveTimers pushes an unacknowledged leave again.
func (e *Engine) leaveTimers(now time.Time) {
	l := &e.leave
	if l.version == 0 || l.done || now.Before(l.repushAt) {
		return
	}
	l.repushAt = l.repushAt.Add(e.cfg.leaveRepush())
	if !l.repushAt.After(now) {
		l.repushAt = now.Add(e.cfg.leaveRepush())
	}
	e.pushLeave()
}

func (e *Engine) leaveDone() {
	if !e.leave.done {
		e.leave.done = true
		e.ready.LeaveDone = true
	}
}

// pushLeave sends a Syn to every live peer (or the usual targets when none
// is live), so that the marker travels in the Acks.
func (e *Engine) pushLeave() {
	var targets []string
	for _, n := range e.sorted {
		if n != e.self && n.status == statusLive {
			targets = append(targets, n.addr)
		}
	}
	targets = e.addLeaveAudience(targets)
	if len(targets) == 0 {
		targets = e.gossipTargets(e.cfg.GossipNodes)
	}
	for _, a := range targets {
		e.sendSyn(a)
	}
}
