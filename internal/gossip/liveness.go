package gossip

import (
	"time"
)

// Liveness as this node reports it. A peer's status changes only through
// admission (admission.go: pending to live), a verdict of its observers
// (verdict.go: live or pending to dead), or its leave marker (live to
// left); this file turns those changes into events and keeps the members'
// rings in step, and collects what stayed dead, left or pending for
// DeadNodeGracePeriod.

// setStatus moves a peer to a new liveness and emits the events it implies,
// for reason r: NodeLive on becoming live (followed by a NodeUpdate held
// back while it was pending), NodeDead when a live node is convicted or
// leaves. A peer enters the members' rings when it becomes live and leaves
// them when it stops being live (after ghostHold, when a verdict removed
// it: ghosts.go).
func (e *Engine) setStatus(n *nodeState, s liveness, now time.Time, r Reason) {
	old := n.status
	if old == s {
		return
	}
	e.unlistPending(n)
	n.status = s
	n.statusSince = e.fd.Mono(now)
	e.refingerprint(n)
	switch {
	case s == statusLive:
		n.wasLive, n.liveGen = true, n.generation
		if n.ghost {
			e.unhaunt(n) // on the rings already
		} else {
			e.rings.add(n)
		}
		e.subjectsDirty = true
		e.verdictDirty = true
		e.emit(NodeLive, n, r)
		if old == statusPending {
			e.noteStateReplaced(n, n.keysBefore)
			n.keysBefore = nil
		}
		if n.updateHeld {
			n.updateHeld = false
			e.emit(NodeUpdate, n, ReasonNone)
		}
	case old == statusLive && s == statusDead:
		e.haunt(n, now) // off the rings after ghostHold
		e.subjectsDirty = true
		e.verdictDirty = true
		e.emitConviction(n, r, now) // diag.go: NodeDead with this node's phi
	case old == statusLive:
		e.rings.remove(n)
		e.subjectsDirty = true
		e.verdictDirty = true
		e.emit(NodeDead, n, r)
	}
}

// noteUpdate emits NodeUpdate for a peer whose user keys changed, or holds
// it back until the peer is admitted.
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

// checkPeers removes the peers that stayed dead, left or pending for
// DeadNodeGracePeriod (a rejoin pending for its probation on top), and
// forgets graves past their time.
func (e *Engine) checkPeers(now time.Time) {
	m := e.fd.Mono(now)
	for i := 0; i < len(e.sorted); i++ {
		n := e.sorted[i]
		if n == e.self || n.status == statusLive {
			continue
		}
		grace := e.cfg.DeadNodeGracePeriod
		if n.status == statusPending {
			grace += e.probation(rejoinsOf(n.generation)) // a rejoin waits that long
		}
		if time.Duration(m-n.statusSince) > grace {
			e.removeNode(n, now)
			i--
		}
	}
	for id, g := range e.graves {
		if now.After(g.until) {
			delete(e.graves, id)
		}
	}
}

// buried reports whether a node's incarnation was removed here, so that
// gossip about it must not bring it back.
func (e *Engine) buried(id string, generation uint64) bool {
	g, ok := e.graves[id]
	return ok && generation <= g.generation
}
