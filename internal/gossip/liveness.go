package gossip

import (
	"math"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/phi"
)

// setStatus moves a peer to a new liveness and emits the events it implies,
// for reason r: NodeLive on becoming live (followed by a NodeUpdate held
// back while it was pending), NodeDead when a live node is convicted or
// leaves.
func (e *Engine) setStatus(n *nodeState, s liveness, now time.Time, r Reason) {
	old := n.status
	if old == s {
		return
	}
	n.status = s
	n.statusSince = e.fd.Mono(now)
	switch {
	case s == statusLive:
		n.wasLive = true
		e.emit(NodeLive, n, r)
		if n.updateHeld {
			n.updateHeld = false
			e.emit(NodeUpdate, n, ReasonNone)
		}
	case old == statusLive:
		e.emit(NodeDead, n, r)
	}
}

// noteUpdate emits NodeUpdate for a peer whose user keys changed, or holds
// it back until the peer is confirmed live.
func (e *Engine) noteUpdate(n *nodeState) {
	if n == e.self {
		return
	}
	if n.status == statusPending {
		n.updateHeld = true
		return
	}
	e.emit(NodeUpdate, n, ReasonNone)
}

// revive marks a peer live after evidence that it runs: a heartbeat increase
// or a datagram from it. The outage is not recorded as an interval, and what
// the detector learned before it is kept; a detector that never ran starts
// from FirstHeartbeatEstimate. r is the reason reported; ReasonNone means
// first seen or recovered, whichever applies.
func (e *Engine) revive(n *nodeState, now time.Time, r Reason) {
	if n.status == statusLive || n.status == statusLeft || n == e.self {
		return
	}
	if r == ReasonNone {
		r = ReasonFirstSeen
		if n.wasLive {
			r = ReasonRecovered
		}
	}
	e.resumeWindow(n, now)
	e.setStatus(n, statusLive, now, r)
}

// arrival feeds a live peer's failure detector a heartbeat arrival at now,
// folds the interval into the cluster-wide estimates, and refreshes the time
// until which the peer certainly stays below the threshold.
func (e *Engine) arrival(n *nodeState, now time.Time) {
	if last, m := n.window.LastMono(), e.fd.Mono(now); last != phi.NoTime && m > last {
		e.noteInterval(time.Duration(m - last))
	}
	n.window.Heartbeat(now)
	n.calmUntil = n.window.CalmUntil()
}

// resumeWindow restarts n's detector clock at now without recording the gap
// since its last arrival (see revive).
func (e *Engine) resumeWindow(n *nodeState, now time.Time) {
	n.window.Resume(now)
	n.calmUntil = n.window.CalmUntil()
}

// observeHeartbeat records a heartbeat value for n learned from any peer.
func (e *Engine) observeHeartbeat(n *nodeState, hb uint64, now time.Time) {
	if hb <= n.heartbeat || n == e.self {
		return
	}
	n.heartbeat = hb
	if n.status == statusLive {
		e.arrival(n, now)
		return
	}
	e.revive(n, now, ReasonNone)
}

// noteInterval folds a heartbeat inter-arrival time into exponentially
// weighted moving estimates of the mean and variance over all peers.
func (e *Engine) noteInterval(d time.Duration) {
	const alpha = 0.02
	x := float64(d)
	if e.intervalAvg == 0 {
		e.intervalAvg = x
		return
	}
	diff := x - e.intervalAvg
	e.intervalAvg += alpha * diff
	e.intervalVar = (1 - alpha) * (e.intervalVar + alpha*diff*diff)
}

// typicalInterval returns the mean interval between heartbeat increases of
// live peers and its standard deviation, or zeros before any was measured.
func (e *Engine) typicalInterval() (mean, sd time.Duration) {
	return time.Duration(e.intervalAvg), time.Duration(math.Sqrt(e.intervalVar))
}

// directContact treats a valid datagram from a known node as proof of life.
func (e *Engine) directContact(id string, now time.Time) {
	if n := e.nodes[id]; n != nil {
		e.revive(n, now, ReasonNone)
	}
}

// checkPeers convicts live peers whose phi exceeds the threshold and removes
// peers that stayed dead, left or pending for DeadNodeGracePeriod. Each
// peer's window is judged with at least the mean and deviation of heartbeat
// intervals measured over all peers (typicalInterval): in a large cluster
// partial digests carry each heartbeat only every few rounds, at irregular
// intervals, and a window that has seen only a few heartbeats, often about
// one round apart, must not take the next long but normal gap for a failure.
// In a small cluster the floors equal what each window measures itself.
func (e *Engine) checkPeers(now time.Time) {
	fd := e.cfg.Detector
	meanFloor, sdFloor := e.typicalInterval()
	m := e.fd.Mono(now)
	for i := 0; i < len(e.sorted); i++ {
		n := e.sorted[i]
		if n == e.self {
			continue
		}
		switch n.status {
		case statusLive:
			if m < n.calmUntil {
				continue // phi is certainly at or below the threshold, floors or not
			}
			if p := n.window.PhiAtLeast(now, meanFloor, sdFloor); p > fd.PhiThreshold {
				e.convictions.observe(p)
				e.setStatus(n, statusDead, now, ReasonSuspected)
			}
		default:
			if time.Duration(m-n.statusSince) > e.cfg.DeadNodeGracePeriod {
				e.removeNode(n, now)
				i--
			}
		}
	}
	for id, g := range e.graves {
		if now.After(g.until) {
			delete(e.graves, id)
		}
	}
}

// buried reports whether a node's state at (generation, heartbeat) belongs to
// an incarnation that was removed, so it must not come back.
func (e *Engine) buried(id string, generation, heartbeat uint64) bool {
	g, ok := e.graves[id]
	if !ok {
		return false
	}
	return generation < g.generation || (generation == g.generation && heartbeat <= g.heartbeat)
}
