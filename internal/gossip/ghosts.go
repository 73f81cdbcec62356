package gossip

import (
	"slices"
	"time"
)

// Ghosts. A member removed by a verdict stays on the rings, as a ghost,
// for ghostHold after its removal. The other members remove it within a
// few hundred milliseconds or a hold of each other (verdict.go), and until
// all of them have, the observers they compute for everyone else differ
// where the removed node stood: alerts raised by an observer in one view
// would not count in the other, and the rest of a correlated failure, or
// of the far side of a partition, would be decided differently on each
// side. Keeping the removed on the rings for a while keeps the views'
// rings alike while a cut spreads; a ghost counts as an observer that is
// being removed (an implicit alert, verdict.go), receives no heartbeats,
// is expected to send none, and takes no pushes.

// ghostHold is how long a removed member stays on the rings.
func (e *Engine) ghostHold() time.Duration { return e.freshHold() }

// haunt keeps n, a member just removed by a verdict, on the rings.
func (e *Engine) haunt(n *nodeState, now time.Time) {
	n.ghost = true
	n.ghostUntil = e.fd.Mono(now.Add(e.ghostHold()))
	e.ghosts = append(e.ghosts, n)
}

// unhaunt takes ghost n off the ghost list; it stays on the rings only if
// it became a member again.
func (e *Engine) unhaunt(n *nodeState) {
	if !n.ghost {
		return
	}
	n.ghost = false
	if i := slices.Index(e.ghosts, n); i >= 0 {
		e.ghosts = slices.Delete(e.ghosts, i, i+1)
	}
	if n.status != statusLive {
		e.rings.remove(n)
		e.subjectsDirty = true
		e.verdictDirty = true
	}
}

// expireGhosts takes the ghosts whose hold is over off the rings.
func (e *Engine) expireGhosts(now time.Time) {
	m := e.fd.Mono(now)
	for i := 0; i < len(e.ghosts); i++ {
		if n := e.ghosts[i]; m >= n.ghostUntil {
			e.unhaunt(n)
			i--
		}
	}
}

// member reports whether n, on the rings, is a member rather than a ghost.
func member(n *nodeState) bool { return !n.ghost }

func isGhost(n *nodeState) bool { return n.ghost }
