package gossip

import (
	"time"

	"github.com/scuttlego/scuttlebutt/internal/phi"
)

// Lingering observers. The rings are computed from each node's own view of
// the membership, and views differ for a few seconds whenever a node joins
// or leaves (a joiner learnt by anti-entropy stays pending for freshHold,
// see admission.go). A subject whose rings moved stops sending heartbeats to
// an observer it no longer counts, while that observer, still counting
// itself, would soon convict it. So a subject keeps sending heartbeats to
// the observers it dropped for lingerFor: as long as a view may lag (the
// observer convicts only a detection time after the last heartbeat on
// top), and to K of them at most, the latest dropped, so that a subject
// whose rings move all the time (a bootstrap) sends twice its heartbeats
// at most.

// lingerFor is how long a dropped observer still gets heartbeats.
func (e *Engine) lingerFor() time.Duration { return e.freshHold() }

// noteObserversChanged records the observers of old that are not in cur,
// which linger from the next heartbeat on.
func (e *Engine) noteObserversChanged(old, cur []*nodeState) {
	for _, o := range old {
		if !containsNode(cur, o) && !containsNode(e.lingering, o) {
			e.edgeOf(o).lingerUntil = phi.NoTime // set when the next heartbeat goes
			e.lingering = append(e.lingering, o)
		}
	}
}

// lingerers returns the dropped observers that still get heartbeats at
// now, and forgets those whose time is up, that left the membership, or
// that are observers again.
func (e *Engine) lingerers(now time.Time, cur []*nodeState) []*nodeState {
	if len(e.lingering) == 0 {
		return nil
	}
	m := e.fd.Mono(now)
	keep := e.lingering[:0]
	for _, o := range e.lingering {
		ed := e.edgeOf(o)
		if ed.lingerUntil == phi.NoTime {
			ed.lingerUntil = m + int64(e.lingerFor())
		}
		if m < ed.lingerUntil && !o.ghost && (o.status == statusLive || o.status == statusPending) && e.nodes[o.id] == o && !containsNode(cur, o) {
			keep = append(keep, o)
		}
	}
	clear(e.lingering[len(keep):])
	if over := len(keep) - max(len(cur), 1); over > 0 {
		copy(keep, keep[over:]) // the earliest dropped go first
		clear(keep[len(keep)-over:])
		keep = keep[:len(keep)-over]
	}
	e.lingering = keep
	return keep
}
