package gossip

import (
	"slices"
	"strconv"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/phi"
	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Monitoring. Each round a node sends a small heartbeat datagram directly
// to each of its observers (rings.go), and each observer feeds the arrival
// times into the phi-accrual window of that one edge, with the configured
// FailureDetectorConfig. Detector state and traffic are O(K) per node at
// any cluster size. An observer whose phi for a subject crosses the
// threshold raises an alert about that incarnation, a reserved key of its
// own namespace that replicates like any key (verdict.go counts them), and
// withdraws it if the subject's heartbeats resume before a verdict. The
// engine asks to be woken when a subject's phi may cross the threshold, so
// a conviction is not held back until the next round.
//
// A subject that never sends a heartbeat is convicted too: once it has
// been this node's subject for freshHold, time enough to learn the
// membership and its observers, this node expects its heartbeats as if one
// had arrived then. A node that crashes right after joining does not stay
// a member for ever.
//
// One-way faults are decided, not hidden: each heartbeat says how many
// peers the sender received valid datagrams from lately. A node that has
// lost all its ingress still sends heartbeats, but they say it hears
// nobody; its observers do not count such heartbeats, so its edges go
// silent and it is removed. Its own alerts about its subjects are one
// observer's each, below L: they remove nobody.

// heardWithin is how recent, in gossip intervals, a datagram must be for
// its sender to count as heard.
const heardWithin = 3

// ingressOK reports whether a node that heard from heard peers lately, in a
// view of subjects subjects, receives at all. A node alone has nobody to
// hear.
func ingressOK(heard, subjects uint64) bool { return heard > 0 || subjects == 0 }

// noteSender records a valid datagram from peer id.
func (e *Engine) noteSender(id string, now time.Time) {
	if len(e.recent) < maxRecent || e.recent[id] != 0 {
		e.recent[id] = e.fd.Mono(now)
	}
}

// maxRecent bounds the senders remembered for the heard count.
const maxRecent = 255

// subjects returns this node's subjects: the members it observes (a ghost
// keeps its place on the rings, but is no one's subject or observer).
func (e *Engine) subjects() []*nodeState {
	if e.subjectsDirty {
		e.subjectList = slices.DeleteFunc(e.rings.subjectsOf(e.subjectList[:0], e.self.id), isGhost)
		old := append(e.obsScratch[:0], e.observerList...)
		e.observerList = slices.DeleteFunc(e.rings.observersOf(e.observerList[:0], e.self.id), isGhost)
		e.noteObserversChanged(old, e.observerList)
		e.obsScratch = old[:0]
		e.subjectsDirty = false
		e.expectDirty = true
	}
	return e.subjectList
}

// observers returns this node's observers, to which it sends heartbeats.
func (e *Engine) observers() []*nodeState {
	e.subjects()
	return e.observerList
}

// heardPeers counts the peers heard from within heardWithin rounds, and
// forgets the others.
func (e *Engine) heardPeers(now time.Time) uint64 {
	old := e.fd.Mono(now.Add(-heardWithin * e.cfg.GossipInterval))
	for id, t := range e.recent {
		if t < old {
			delete(e.recent, id)
		}
	}
	return uint64(len(e.recent))
}

// sendHeartbeats sends this round's heartbeat to every observer.
func (e *Engine) sendHeartbeats(now time.Time) {
	if e.removed() || e.leave.version > 0 {
		return
	}
	hb := e.heartbeat(now)
	obs := e.observers()
	lingering := e.lingerers(now, obs)
	e.stats.HeartbeatsLingering += uint64(len(lingering))
	for _, o := range slices.Concat(obs, lingering) {
		e.heartbeatTo(o, hb)
	}
}

// greetObservers sends, during this node's first round, its first
// heartbeat at once to each observer it has sent none yet, rather than at
// the next round: a node that fails within a second of its join is then
// judged on a heartbeat that arrived, not on an expectation set later.
func (e *Engine) greetObservers(now time.Time) {
	if e.self.heartbeat > 1 || e.removed() || e.leave.version > 0 {
		return
	}
	var hb wire.Heartbeat
	for _, o := range e.observers() {
		if e.edgeOf(o).hbLast != 0 {
			continue
		}
		if e.self.heartbeat == 0 {
			e.self.heartbeat = 1 // the next round's is 2
		}
		if hb.From == "" {
			hb = e.heartbeat(now)
		}
		e.heartbeatTo(o, hb)
	}
}

// heartbeat returns this node's current heartbeat.
func (e *Engine) heartbeat(now time.Time) wire.Heartbeat {
	return wire.Heartbeat{
		From: e.self.id, Generation: e.self.generation, Seq: e.self.heartbeat,
		Heard: e.heardPeers(now), Subjects: uint64(len(e.subjects())), MaxVersion: e.self.maxVersion,
	}
}

// heartbeatTo sends hb to observer o, as part of o's run of heartbeats.
func (e *Engine) heartbeatTo(o *nodeState, hb wire.Heartbeat) {
	ed := e.edgeOf(o)
	if ed.hbLast+1 != hb.Seq || ed.hbSince == 0 {
		ed.hbSince = hb.Seq // a new run of heartbeats to o
	}
	ed.hbLast = hb.Seq
	hb.Since = ed.hbSince
	e.send(o.addr, wire.MsgHeartbeat, e.cfg.MaxPacketSize, func(budget int) seal.Message {
		return &heartbeatOut{m: hb}
	})
	e.stats.HeartbeatsSent++
}

// heartbeatOut is a Heartbeat being fitted; it is far below any limit.
type heartbeatOut struct{ m wire.Heartbeat }

func (o *heartbeatOut) Size() int                  { return o.m.Size() }
func (o *heartbeatOut) AppendBody(b []byte) []byte { return wire.AppendHeartbeat(b, &o.m) }
func (o *heartbeatOut) Trim(int)                   {}

// handleHeartbeat takes a heartbeat from a subject.
func (e *Engine) handleHeartbeat(now time.Time, addr string, m *wire.Heartbeat) {
	e.stats.HeartbeatsReceived++
	n := e.nodes[m.From]
	switch {
	case n == nil:
		// A node we have not heard of: its state will reach us by gossip.
		if !e.buried(m.From, m.Generation) {
			e.markWanted(m.From)
		}
		return
	case m.Generation > n.generation:
		e.markBehind(n) // a new incarnation: pull its state
		return
	case m.Generation < n.generation || n.status == statusDead || n.status == statusLeft:
		return
	}
	if m.MaxVersion > n.maxVersion {
		e.noteVersionSeen(n, m.MaxVersion, now)
		e.markBehind(n)
	}
	e.evidence(n, now)
	if m.Seq <= n.heartbeat || !ingressOK(m.Heard, m.Subjects) {
		return // a duplicate, or a subject that hears nobody: no arrival
	}
	ed := e.edgeOf(n)
	if ed.calmUntil == phi.NoTime {
		e.edges = append(e.edges, n)
	}
	if ed.expectAt != phi.NoTime {
		ed.expectAt = phi.NoTime
		e.expecting--
	}
	ed.loss.arrived(m.Seq, m.Since, n.heartbeat)
	n.heartbeat = m.Seq
	ed.window.Heartbeat(now)
	ed.calmUntil = ed.window.CalmUntil()
	switch {
	case ed.loss.lossy():
		ed.calmUntil = e.fd.Mono(now) // checkEdges alerts, if not yet
	case n.isAlerted():
		e.withdrawAlert(n, now)
	}
}

// expectSubjects schedules, for every subject without an edge, when this
// node starts expecting its heartbeats.
func (e *Engine) expectSubjects(now time.Time) {
	e.expectDirty = false
	if e.abstains(now) {
		return
	}
	later := e.fd.Mono(now.Add(e.freshHold()))
	soon := e.fd.Mono(now.Add(e.cfg.GossipInterval))
	for _, n := range e.subjects() {
		if n.calm() == phi.NoTime && n.expected() == phi.NoTime {
			// A subject heard from directly knows this node, and counts
			// it among its observers within a round or so; one known
			// only from others' state may not know it yet.
			e.edgeOf(n).expectAt = later
			if e.heardLately(n, now) {
				e.edgeOf(n).expectAt = soon
			}
			e.expecting++
		}
	}
}

// startExpected starts the edges of subjects whose expectation is due, as
// if a heartbeat had arrived when it fell due.
func (e *Engine) startExpected(now time.Time) {
	if e.expecting == 0 {
		return
	}
	m := e.fd.Mono(now)
	for _, n := range e.subjects() {
		if n.expected() == phi.NoTime || m < n.expected() {
			continue
		}
		ed := e.edgeOf(n)
		at := e.fd.At(ed.expectAt)
		ed.expectAt = phi.NoTime
		e.expecting--
		if ed.calmUntil == phi.NoTime {
			e.edges = append(e.edges, n)
			ed.window.Heartbeat(at)
			ed.calmUntil = ed.window.CalmUntil()
		}
	}
}

// nextExpectation returns when the earliest expectation falls due (zero:
// none).
func (e *Engine) nextExpectation() time.Time {
	if e.expecting == 0 || e.removed() || !e.probationEnd.IsZero() {
		return time.Time{}
	}
	t := int64(phi.NoTime)
	for _, n := range e.subjects() {
		if at := n.expected(); at != phi.NoTime && (t == phi.NoTime || at < t) {
			t = at
		}
	}
	if t == phi.NoTime {
		e.expecting = 0 // the subjects changed: the rest are moot
		return time.Time{}
	}
	return e.fd.At(t)
}

// dropEdge forgets the edge to n (removed, or a new incarnation).
func (e *Engine) dropEdge(n *nodeState) {
	ed := n.ed
	if ed == nil {
		return
	}
	if ed.expectAt != phi.NoTime {
		ed.expectAt = phi.NoTime
		e.expecting--
	}
	if ed.calmUntil != phi.NoTime {
		ed.calmUntil = phi.NoTime
		ed.window = phi.NewWindow(e.fd)
		ed.loss = edgeLoss{}
		n.heartbeat = 0
		ed.alerted = false
		for i, x := range e.edges {
			if x == n {
				e.edges = append(e.edges[:i], e.edges[i+1:]...)
				break
			}
		}
	}
	if ed.hbSince == 0 && ed.hbLast == 0 && ed.lingerUntil == 0 {
		n.ed = nil // nothing left of it
	}
}

// abstains reports whether this node refrains from judging anyone now: it
// was removed and waits to rejoin, or it is a rejoin on probation, a
// member of nobody's view, whom its own subjects send no heartbeats.
func (e *Engine) abstains(now time.Time) bool {
	return e.removed() || e.onProbation(now)
}

// judges reports whether this node judges the edge to n: n is one of its
// subjects, or a pending incarnation it is an expected observer of.
func (e *Engine) judges(n *nodeState) bool {
	switch n.status {
	case statusLive:
		return containsNode(e.subjects(), n)
	case statusPending:
		e.obsScratch = e.rings.observersOf(e.obsScratch[:0], n.id)
		return containsNode(e.obsScratch, e.self)
	}
	return false
}

func containsNode(ns []*nodeState, n *nodeState) bool {
	for _, x := range ns {
		if x == n {
			return true
		}
	}
	return false
}

// checkEdges raises an alert about every judged edge whose phi crossed the
// threshold. Only edges that carried heartbeats can be convicted: a node
// that never sent us any does not count us among its observers (its view
// of the membership differs from ours, for now).
func (e *Engine) checkEdges(now time.Time) {
	if e.abstains(now) {
		return
	}
	e.startExpected(now)
	m := e.fd.Mono(now)
	var stale []*nodeState
	for _, n := range e.edges {
		if n.isAlerted() {
			if (n.status == statusLive || n.status == statusPending) && !e.judges(n) {
				e.withdrawAlert(n, now) // no longer ours: the rings moved
			}
			continue
		}
		ed := e.edgeOf(n)
		if m < ed.calmUntil {
			continue
		}
		switch p := ed.window.Phi(now); {
		case !e.judges(n):
			if m-ed.window.LastMono() > int64(e.lingerFor()+2*e.cfg.GossipInterval) {
				// Not ours, and silent for longer than a subject that
				// dropped this node lingers: forget the edge (a heartbeat
				// starts it again).
				stale = append(stale, n)
				continue
			}
			// Not ours to convict now: look again in a round.
			ed.calmUntil = m + int64(e.cfg.GossipInterval)
		case p > e.cfg.Detector.PhiThreshold:
			e.convictions.observe(p)
			e.raiseAlert(n, now)
		case ed.loss.lossy():
			e.stats.AlertsOnLoss++
			e.raiseAlert(n, now)
		default:
			// calmUntil errs early by a hair: look again a little later.
			ed.calmUntil = m + int64(time.Millisecond)
		}
	}
	for _, n := range stale {
		e.dropEdge(n)
	}
}

// nextConviction returns the earliest time an edge's phi may cross the
// threshold (zero: none).
func (e *Engine) nextConviction() time.Time {
	if e.removed() || !e.probationEnd.IsZero() {
		return time.Time{} // no alerts until it rejoins, and is admitted
	}
	t := int64(phi.NoTime)
	for _, n := range e.edges {
		if at := n.calm(); !n.isAlerted() && (t == phi.NoTime || at < t) {
			t = at
		}
	}
	if t == phi.NoTime {
		return time.Time{}
	}
	return e.fd.At(t)
}

// raiseAlert writes this node's alert about n's incarnation. A node that
// heard from no peer at all lately keeps the alert to itself: it has lost
// its ingress, and its view must not spread as verdicts about healthy
// nodes (it counts for its own isolation verdict only).
func (e *Engine) raiseAlert(n *nodeState, now time.Time) {
	e.edgeOf(n).alerted = true
	if e.heardPeers(now) == 0 {
		e.verdictDirty = true // for the isolation verdict
		return
	}
	e.stats.AlertsRaised++
	e.write(alertPrefix+n.id, strconv.FormatUint(n.generation, 10), wire.StatusSet, now, time.Time{})
}

// withdrawAlert deletes this node's alert about n, whose heartbeats
// resumed before a verdict removed it.
func (e *Engine) withdrawAlert(n *nodeState, now time.Time) {
	e.edgeOf(n).alerted = false
	e.deleteAlert(n.id, now)
}

// retireAlert deletes, a freshHold from now, this node's alert about the
// incarnation of node id that a new one just replaced here, unless the
// alert names another incarnation by then. Deleted at once, the deletion
// (pushed) could reach a node before the new incarnation does; that node,
// holding the old one pending, would find it unaccused and admit it.
func (e *Engine) retireAlert(id string, now time.Time) {
	v, ok := e.self.getRaw(alertPrefix + id)
	if !ok {
		return
	}
	e.retiring = append(e.retiring, retiredAlert{id: id, value: v, at: e.fd.Mono(now.Add(e.freshHold()))})
}

// retiredAlert is an alert about a replaced incarnation, due for deletion.
type retiredAlert struct {
	id, value string // the subject, and the alert's value (its generation)
	at        int64  // as stored by phi.Params.Mono
}

// deleteRetired deletes the retired alerts that are due and still name
// the incarnation they named.
func (e *Engine) deleteRetired(now time.Time) {
	m := e.fd.Mono(now)
	keep := e.retiring[:0]
	for _, r := range e.retiring {
		if m < r.at {
			keep = append(keep, r)
			continue
		}
		if v, ok := e.self.getRaw(alertPrefix + r.id); ok && v == r.value {
			e.deleteAlert(r.id, now)
		}
	}
	clear(e.retiring[len(keep):])
	e.retiring = keep
}

// deleteAlert deletes this node's alert about node id, if it has one.
func (e *Engine) deleteAlert(id string, now time.Time) {
	if _, ok := e.self.getRaw(alertPrefix + id); ok {
		e.stats.AlertsWithdrawn++
		e.write(alertPrefix+id, "", wire.StatusDeleted, now, time.Time{})
	}
}
