package gossip

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Verdicts: multi-observer cut detection (Rapid). A node removes a subject
// only when at least H of the subject's observers, as its own membership
// places them, have raised an alert about the subject's incarnation; for a
// subject with at least L alerts, an observer that is itself being removed
// (at least L alerts about it) counts as alerting, so that a partition or a
// correlated failure is decided at once on each side. While some subject stands between L and H, verdicts
// wait, so that a multi-node failure is applied as one cut; a subject that
// stays unstable for longer than unstableHold stops holding back the
// others. Removal is final for an incarnation.
//
// With k observers (K, or fewer in a small cluster), H and L are
//
//	k <= 2: H = L = k
//	k = 3:  H = 3, L = 2
//	k >= 4: H = k - 1 - (k-1)/10, L = max(2, (3k+5)/10)   (K = 10: 9 and 3, Rapid's)
//
// so that one observer that did not see the failure (its view lags, its own
// link is lossy) cannot hold a verdict back, and the alerts of one observer
// with a bad link of its own never remove anyone nor hold verdicts back.
//
// One more verdict is local: a node that hears from no peer at all, having
// alerted about every one of its subjects, is cut off, and reports every
// member dead. Its alerts convict nobody elsewhere; the cluster, which
// stopped hearing it too, removes it, and once the network heals it learns
// so and rejoins (admission.go).

// quorum returns H and L for a subject with k observers.
func quorum(k int) (h, l int) {
	switch {
	case k <= 0:
		return 1, 1
	case k <= 2:
		return k, k
	case k == 3:
		return 3, 2
	}
	return k - 1 - (k-1)/10, max(2, (3*k+5)/10)
}

// isolated reports whether this node is cut off: it has alerted about
// every one of its subjects, and no peer at all was heard from lately. (A
// node that still hears others is on one side of a partition, where the
// verdicts of the observers it shares a side with decide.)
func (e *Engine) isolated(now time.Time) bool {
	subs := e.subjects()
	for _, n := range subs {
		if !n.isAlerted() {
			return false
		}
	}
	return len(subs) > 0 && e.heardPeers(now) == 0
}

// unstableHold bounds how long a subject between L and H holds back the
// verdicts about others, in gossip intervals beyond the acceptable pause,
// counted from when it entered that band: about the spread of the times at
// which its observers convict it, whose heartbeat histories differ by a
// round or so.
const unstableHold = 2

// alertIndex maps a subject ID to the observers alerting about it, with the
// generation each alerted. It is derived from the alert keys of the
// namespaces held, kept up to date as they change.
type alertIndex map[string]map[string]uint64

// noteAlertKey updates the index for a change of a reserved key of owner n.
func (e *Engine) noteAlertKey(n *nodeState, key, value string, live bool) {
	subject, ok := strings.CutPrefix(key, alertPrefix)
	if !ok {
		return
	}
	gen, err := strconv.ParseUint(value, 10, 64)
	if !live || err != nil {
		if m := e.alerts[subject]; m != nil {
			delete(m, n.id)
			if len(m) == 0 {
				delete(e.alerts, subject)
			}
		}
		e.verdictDirty = true
		return
	}
	m := e.alerts[subject]
	if m == nil {
		m = make(map[string]uint64)
		e.alerts[subject] = m
	}
	m[n.id] = gen
	e.verdictDirty = true
}

// forgetAlertsOf drops every alert that n raised from the index (n's state
// is being replaced or removed).
func (e *Engine) forgetAlertsOf(n *nodeState) {
	for k, en := range n.kvs {
		if strings.HasPrefix(k, alertPrefix) && en.status == wire.StatusSet {
			e.noteAlertKey(n, k, "", false)
		}
	}
}

// explicitAlerts counts the observers obs of n (as this node's rings
// place them) alerting about n's incarnation.
func (e *Engine) explicitAlerts(n *nodeState, obs []*nodeState) int {
	by := e.alerts[n.id]
	count := 0
	for _, o := range obs {
		if g, ok := by[o.id]; ok && g == n.generation {
			count++
		}
	}
	return count
}

// cutState is a verdict computation's result for one subject.
type cutState struct {
	n        *nodeState
	obs      []*nodeState // its observers (rings.observersCached: read only)
	k, count int          // observers, and those alerting (explicitly or implicitly)
}

// decide applies the cut the alerts call for, if it is stable.
func (e *Engine) decide(now time.Time) {
	m := e.fd.Mono(now)
	if !e.verdictDirty && (e.decideAt == 0 || m < e.decideAt) {
		return
	}
	if e.verdictDirty {
		e.alertsAt = m // alerts (or the members) changed
	}
	e.verdictDirty, e.decideAt = false, 0
	if e.isolated(now) {
		cut := e.cutBuf[:0:0]
		for _, n := range e.rings.members() {
			if n != e.self && member(n) {
				cut = append(cut, cutState{n: n})
			}
		}
		var ns []*nodeState
		for _, c := range cut {
			ns = append(ns, c.n)
		}
		e.applyCut(ns, now)
		for _, n := range ns {
			n.cutLocal, n.cutLarge = true, false
			e.refingerprint(n)
		}
		return
	}
	// Candidates: held incarnations with an alert about them.
	cands := e.cutBuf[:0]
	for id, by := range e.alerts {
		n := e.nodes[id]
		if n == nil || (n.status != statusLive && n.status != statusPending) {
			continue
		}
		if m < n.spareUntil {
			if e.decideAt == 0 || n.spareUntil < e.decideAt {
				e.decideAt = n.spareUntil
			}
			continue
		}
		// A subject with fewer alerts than L, whoever raised them, is
		// neither cut nor unstable, nor does it count as being removed
		// (implicitAlerts): skip it before its observers are read.
		obs := e.rings.observersCached(id)
		if _, l := quorum(len(obs)); len(by) >= l {
			cands = append(cands, cutState{n: n, obs: obs})
		}
	}
	slices.SortFunc(cands, func(a, b cutState) int { return strings.Compare(a.n.id, b.n.id) })
	// Each candidate's observers that are silent; the others alert.
	silent := make([][]*nodeState, len(cands))
	for i := range cands {
		c := &cands[i]
		by := e.alerts[c.n.id]
		for _, o := range c.obs {
			if g, ok := by[o.id]; !ok || g != c.n.generation {
				silent[i] = append(silent[i], o)
			}
		}
		c.k = len(c.obs)
		c.count = c.k - len(silent[i])
	}
	e.implicitAlerts(cands, silent)
	var cut []*nodeState
	var unstable []*nodeState
	holdUntil := int64(0) // the earliest end of a hold by a subject still holding
	hold := int64(e.cfg.Detector.AcceptableHeartbeatPause + unstableHold*e.cfg.GossipInterval)
	for _, c := range cands {
		h, l := quorum(c.k)
		switch {
		case c.count >= l && (c.n.status == statusPending || (c.n == e.self && e.onProbation(now))):
			cut = append(cut, c.n) // an incarnation on probation is rejected at L
		case c.count >= h:
			cut = append(cut, c.n)
		case c.count >= l:
			if c.n.unstableSince == 0 {
				c.n.unstableSince = m
			}
			unstable = append(unstable, c.n)
			if end := c.n.unstableSince + hold; end > m && (holdUntil == 0 || end < holdUntil) {
				holdUntil = end
			}
		}
	}
	e.cutBuf = cands[:0]
	for _, n := range e.unstable {
		if !slices.Contains(unstable, n) {
			n.unstableSince = 0
		}
	}
	e.unstable = append(e.unstable[:0], unstable...)
	if len(cut) == 0 {
		e.heldSince = 0
		return
	}
	if holdUntil != 0 {
		// Wait for the cut to settle: until no alert changed for a
		// gossip interval (the observers of the nodes of one failure
		// convict them within about that of each other), and no longer
		// than one hold in all, so that subjects entering the band one
		// after the other do not hold a verdict back for ever.
		if e.heldSince == 0 {
			e.heldSince = m
		}
		holdUntil = min(holdUntil, e.heldSince+hold, e.alertsAt+int64(e.cfg.GossipInterval/2))
		if m < holdUntil {
			if e.decideAt == 0 || holdUntil < e.decideAt {
				e.decideAt = holdUntil
			}
			return
		}
	}
	e.heldSince = 0
	e.applyCut(cut, now)
}

// implicitAlerts adds to each candidate's count the implicit alerts of its
// silent observers (Rapid): an observer that is itself being removed
// cannot report, and counts as alerting about a subject at or above L.
// Being removed means at or above L by explicit alerts, or a ghost
// (ghosts.go). Only explicit alerts decide who is at or above L, so that
// implicit alerts cannot cascade: a few lossy links, one way or both, put
// some subjects between L and H, but their observers' implicit alerts
// never make up a verdict about a healthy node.
func (e *Engine) implicitAlerts(cands []cutState, silent [][]*nodeState) {
	high := make(map[*nodeState]bool, len(cands))
	for i := range cands {
		if _, l := quorum(cands[i].k); cands[i].count >= l {
			high[cands[i].n] = true
		}
	}
	for i := range cands {
		if !high[cands[i].n] {
			continue
		}
		for _, o := range silent[i] {
			if high[o] || o.ghost {
				cands[i].count++
			}
		}
	}
}

// detectionTime is about how long an observer takes to convict a silent
// subject: the acceptable pause plus a round and a little.
func (e *Engine) detectionTime() time.Duration {
	return e.cfg.Detector.AcceptableHeartbeatPause + e.cfg.GossipInterval + e.cfg.Detector.FirstHeartbeatEstimate
}

// applyCut removes the incarnations of cut: members are reported dead,
// pending ones are rejected silently. When this node is in the cut it
// rejoins as a new incarnation instead; when the cut is large too, it is
// this node's side of a partition that the other side removed, and the
// others of the cut, which this node hears well, rejoin as it does: they
// are spared for freshHold rather than reported dead.
func (e *Engine) applyCut(cut []*nodeState, now time.Time) {
	if slices.Contains(cut, e.self) && e.largeCut(len(cut)) {
		until := e.fd.Mono(now.Add(e.freshHold()))
		for _, n := range cut {
			n.spareUntil = until
		}
		e.selfRemoved(now, true)
		return
	}
	// On one side of a partition, or just after it healed, a large cut
	// without this node is often the far side's verdict about this side:
	// the nodes of it that this node hears directly are spared too; they
	// rejoin as it would (and if they are gone, the verdict comes back
	// once the spare ends).
	spare := e.largeCut(len(cut)) && e.partitioned(now)
	until := e.fd.Mono(now.Add(e.freshHold()))
	for _, n := range cut {
		if n == e.self {
			e.selfRemoved(now, false)
			continue
		}
		if spare && e.heardLately(n, now) {
			n.spareUntil = until
			continue
		}
		if n.status == statusPending {
			// Rejected at admission, by this node's reading of the
			// alerts (L of them): the cluster did not remove it, so
			// this node's digests do not say it did (that would make a
			// live node rejoin, on probation, everywhere).
			e.setStatus(n, statusDead, now, ReasonSuspected)
			n.cutLocal = true
			e.refingerprint(n)
			e.dropEdge(n)
			continue
		}
		e.noteRemoval(n, now)
		e.stats.VerdictsApplied++
		e.setStatus(n, statusDead, now, ReasonSuspected)
		e.dropEdge(n)
	}
}

// heardLately reports whether a datagram from n arrived within heardWithin
// rounds.
func (e *Engine) heardLately(n *nodeState, now time.Time) bool {
	t, ok := e.recent[n.id]
	return ok && t >= e.fd.Mono(now.Add(-heardWithin*e.cfg.GossipInterval))
}

// noteRemoval remembers n's removal among the recent ones. A partition
// may be decided in several verdicts as alerts arrive, so the cut that
// counts is every removal within twice the detection time: when those make
// up at least two nodes and a quarter of the members they were taken
// from, each is marked removed in a large cut.
func (e *Engine) noteRemoval(n *nodeState, now time.Time) {
	m := e.fd.Mono(now)
	old := m - 2*int64(e.detectionTime())
	recent := e.removedLately[:0]
	for _, r := range e.removedLately {
		if r.at >= old && r.n.status == statusDead {
			recent = append(recent, r)
		}
	}
	recent = append(recent, removal{n: n, at: m})
	e.removedLately = recent
	if e.largeCut(len(recent)) {
		for _, r := range recent {
			r.n.cutLarge = true
		}
	}
}

// largeCut reports whether removing k nodes is a large cut: at least two,
// and a quarter of the nodes this node knows (members, and the nodes it
// holds dead, left or pending, which a node cut off from most of the
// cluster has in numbers).
func (e *Engine) largeCut(k int) bool {
	return k >= 2 && 4*k >= len(e.sorted)
}

// removal is a recent removal by a verdict.
type removal struct {
	n  *nodeState
	at int64 // phi.Params.Mono
}

// selfRemoved takes note that this node's incarnation was removed: it stops
// heartbeats and alerts, and rejoins as a new incarnation after a backoff
// that doubles with each removal (see rejoin). After a partition, which
// both sides decided, it rejoins at once and without probation: when told
// so, or when this node holds nodes removed in a large cut or took some
// back lately (the other side may have decided only part of this one).
func (e *Engine) selfRemoved(now time.Time, partition bool) {
	if e.removed() {
		return
	}
	partition = partition || e.partitioned(now)
	e.stats.TimesRemoved++
	e.rejoinAt = now
	e.rejoinPartition = partition
	if !partition {
		e.rejoinAt = now.Add(e.rejoinBackoff())
	}
}

// partitioned reports whether this node is, or lately was, on one side of a
// partition: it holds nodes it removed in a large cut, or holds at least
// two and a quarter of the nodes it knows removed by verdicts of the
// cluster (not alone, cut off: see isolated), as a partition may be
// decided in many small cuts on its smaller side), or took one of those
// back within twice freshHold.
func (e *Engine) partitioned(now time.Time) bool {
	if e.healedAt != 0 && e.fd.Mono(now)-e.healedAt <= int64(2*e.freshHold()) {
		return true
	}
	dead, known := 0, 0
	for _, n := range e.sorted {
		known++
		if n.status == statusDead && !n.cutLocal {
			if n.cutLarge {
				return true
			}
			dead++
		}
	}
	return dead >= 2 && 4*dead >= known
}
