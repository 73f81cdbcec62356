package gossip

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/phi"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Admission. A new incarnation of a node (a first start, a restart, or a
// rejoin after a removal) is pending until admitted; only then is it a
// member and reported live. The rules keep first joins fast, keep the
// corpses of crashed nodes relayed to a newcomer from being reported live,
// and keep a lossy or flapping node out once it has been removed:
//
//   - An incarnation learnt first-hand (a datagram from the node itself) or
//     pushed (a change forwarded within a few hops of its writer, so seconds
//     old at most) is admitted at once: it is running.
//   - One learnt by anti-entropy, relayed from some peer's state, may be a
//     node that crashed moments ago: it is admitted after freshHold (about
//     the detection time), unless its observers' alerts say otherwise; any
//     first-hand or pushed news of it admits it earlier.
//   - A rejoin (the low byte of the generation counts the rejoins, see
//     rejoinsOf) was removed before. It is admitted only when the node
//     itself announces, by a pushed write of probationKey, that its
//     probation is over, and fewer than L of its observers alert about
//     it: probation lasts 60 gossip intervals after the first removal,
//     doubling with each further one, up to 480. A node that flips between
//     working and not, or loses most of its packets, is convicted by its
//     observers during its probation (the loss of an edge is judged over
//     16 heartbeats: edgeloss.go) and never comes back while it does.
//   - Except after a partition: an incarnation that this node removed in a
//     large cut (at least a quarter of the members at once, and two or
//     more) is readmitted as a first join is, so that the two sides of a
//     healed partition take each other back at once.
//
// A removed node learns of its removal from its observers' alerts, or from
// any peer's digest flagging its incarnation removed, and rejoins as a new
// generation, at once after its first removal and after a backoff doubling
// from 5 gossip intervals after later ones.

// probationKey is written by a rejoining node when its probation ends.
const probationKey = "\x00p"

// rejoinMask is the part of a generation that counts rejoins.
const rejoinMask = 0xff

// rejoinsOf returns how many times the incarnation gen was removed and
// rejoined since its process started.
func rejoinsOf(gen uint64) uint64 { return gen & rejoinMask }

// source says how an incarnation was first learnt.
type source uint8

const (
	fromRelay  source = iota // another node's state, by anti-entropy
	fromPush                 // a push, within a few hops of its writer
	fromDirect               // a datagram from the node itself
)

// freshHold is how long an incarnation learnt by anti-entropy stays pending.
func (e *Engine) freshHold() time.Duration {
	return e.detectionTime() + e.cfg.GossipInterval
}

// probation returns how long an incarnation with the given rejoin count is
// on probation before it announces itself.
func (e *Engine) probation(rejoins uint64) time.Duration {
	if rejoins == 0 {
		return 0
	}
	return e.cfg.GossipInterval * time.Duration(min(60<<min(rejoins-1, 8), 480))
}

// rejoinBackoff returns how long a removed node waits before rejoining.
func (e *Engine) rejoinBackoff() time.Duration {
	r := rejoinsOf(e.self.generation)
	if r == 0 {
		return 0
	}
	return e.cfg.GossipInterval * time.Duration(min(5<<min(r-1, 6), 300))
}

// markPending makes n, an incarnation just learnt and not a member, pending:
// its key changes and updates wait for its admission.
func (e *Engine) markPending(n *nodeState, now time.Time) {
	if !n.inPending {
		n.inPending = true
		e.pendingList = append(e.pendingList, n)
	}
	n.status = statusPending
	e.refingerprint(n)
	n.statusSince = e.fd.Mono(now)
}

// unlistPending takes n off the pending list (admitted, rejected or
// removed).
func (e *Engine) unlistPending(n *nodeState) {
	if !n.inPending {
		return
	}
	n.inPending = false
	i := slices.Index(e.pendingList, n)
	e.pendingList = slices.Delete(e.pendingList, i, i+1)
}

// startPending decides the admission of n, an incarnation just learnt and
// marked pending, and admits it at once when the rules say so. wasCutLarge
// says its previous incarnation was removed here in a large cut.
func (e *Engine) startPending(n *nodeState, src source, wasCutLarge bool, now time.Time) {
	n.evidence = src != fromRelay
	n.admitAt = phi.NoTime
	n.probeSent, n.holdExtended = false, false
	if rejoinsOf(n.generation) > 0 && !wasCutLarge && e.partitioned(now) {
		wasCutLarge = true // a partition healing: see partitioned
	}
	switch {
	case rejoinsOf(n.generation) == 0 || wasCutLarge:
		if wasCutLarge {
			e.healedAt = e.fd.Mono(now)
		}
		if n.evidence {
			e.admit(n, now)
			return
		}
		e.setAdmitAt(n, e.fd.Mono(now.Add(e.freshHold())))
		e.queueProbe(n) // probe.go: its answer admits it earlier
	default:
		if _, ok := n.getRaw(probationKey); ok {
			e.setAdmitAt(n, n.statusSince) // announced already: admit if no alerts
		}
	}
}

// evidence notes first-hand or pushed news of n's current incarnation: it
// admits a first join or a restart (or a rejoin after a large cut) held
// for freshness, or a rejoin that announced its probation over.
func (e *Engine) evidence(n *nodeState, now time.Time) {
	if n.status != statusPending || n.evidence {
		return
	}
	n.evidence = true
	if rejoinsOf(n.generation) == 0 || n.admitAt != phi.NoTime {
		e.admitIfClear(n, now)
	}
}

// noteProbationKey takes a rejoin's announcement that its probation ended.
func (e *Engine) noteProbationKey(n *nodeState, now time.Time) {
	if n.status == statusPending && rejoinsOf(n.generation) > 0 {
		e.setAdmitAt(n, e.fd.Mono(now))
		e.admitIfClear(n, now)
	}
}

// checkAdmissions admits the pending incarnations whose hold is over.
func (e *Engine) checkAdmissions(now time.Time) {
	m := e.fd.Mono(now)
	if m < e.admitDue {
		return
	}
	e.admitDue = math.MaxInt64
	for i := 0; i < len(e.pendingList); i++ {
		n := e.pendingList[i]
		if n.admitAt != phi.NoTime && m >= n.admitAt && !e.holdEnds(n, now) {
			e.admitIfClear(n, now)
			if !n.inPending {
				i--
				continue
			}
		}
		if n.admitAt != phi.NoTime {
			e.admitDue = min(e.admitDue, n.admitAt)
		}
	}
}

// holdEnds extends, once, the hold of pending n that a probe asked and
// that did not answer, and probes it again: it may have crashed after it
// was relayed here, in which case its observers convict it before the
// second hold ends and this node never reports it live. A node that does
// answer is admitted at once, a round or so later than by the hold alone.
// It reports whether it extended the hold.
func (e *Engine) holdEnds(n *nodeState, now time.Time) bool {
	if n.evidence || !n.probeSent || n.holdExtended {
		return false
	}
	n.holdExtended = true
	e.setAdmitAt(n, e.fd.Mono(now.Add(e.freshHold())))
	n.probedGen = 0
	e.queueProbe(n)
	return true
}

// setAdmitAt sets when pending n's probation ends, keeping admitDue, the
// earliest such time, a lower bound of them all (checkAdmissions then
// looks at the pending list only when one may be due).
func (e *Engine) setAdmitAt(n *nodeState, at int64) {
	n.admitAt = at
	e.admitDue = min(e.admitDue, at)
}

// admitIfClear admits pending n unless at least L of its expected
// observers alert about it; then it looks again a round later.
func (e *Engine) admitIfClear(n *nodeState, now time.Time) {
	if len(e.alerts[n.id]) == 0 {
		e.admit(n, now) // no alert about it at all: no observer's to count
		return
	}
	obs := e.rings.observersOf(e.obsScratch[:0], n.id)
	e.obsScratch = obs[:0]
	_, l := quorum(len(obs))
	if e.explicitAlerts(n, obs) >= l {
		// Held back: its observers' verdict decides, or their alerts
		// are withdrawn and it is admitted when looked at again.
		e.setAdmitAt(n, e.fd.Mono(now.Add(e.cfg.GossipInterval)))
		return
	}
	e.admit(n, now)
}

// admit makes pending n a member and reports it live.
func (e *Engine) admit(n *nodeState, now time.Time) {
	if n.status != statusPending {
		return
	}
	r := ReasonFirstSeen
	switch {
	case n.wasLive && n.liveGen == n.generation, rejoinsOf(n.generation) > 0:
		r = ReasonRecovered // the same incarnation again, or a rejoin
	case n.wasLive:
		r = ReasonRestarted
	}
	e.setStatus(n, statusLive, now, r)
}

// nextAdmission returns the earliest hold end among pending incarnations
// (zero: none).
func (e *Engine) nextAdmission() time.Time {
	if e.admitDue == math.MaxInt64 || len(e.pendingList) == 0 {
		return time.Time{}
	}
	return e.fd.At(e.admitDue)
}

// removed reports whether this node's incarnation has been removed and it
// waits to rejoin.
func (e *Engine) removed() bool { return !e.rejoinAt.IsZero() }

// onProbation reports whether this node is a rejoin still on probation.
func (e *Engine) onProbation(now time.Time) bool {
	return !e.probationEnd.IsZero() && now.Before(e.probationEnd)
}

// rejoinTimers rejoins after a removal, and announces the end of probation.
func (e *Engine) rejoinTimers(now time.Time) {
	if !e.rejoinAt.IsZero() && !now.Before(e.rejoinAt) {
		e.rejoin(now)
	}
	if !e.probationEnd.IsZero() && !now.Before(e.probationEnd) {
		e.endProbation(now)
	}
}

// endProbation announces that this node's probation is over, by a write
// of probationKey, and judges its subjects again.
func (e *Engine) endProbation(now time.Time) {
	e.probationEnd = time.Time{}
	e.write(probationKey, "1", wire.StatusSet, now, time.Time{})
	e.subjectsDirty = true // expect the subjects' heartbeats from now on
}

// rejoin starts a new incarnation of this node after a removal: a higher
// generation whose low byte counts the rejoins, with the same keys, on
// probation.
func (e *Engine) rejoin(now time.Time) {
	s := e.self
	r := min(rejoinsOf(s.generation)+1, rejoinMask)
	gen := max(uint64(now.UnixNano())&^rejoinMask, (s.generation&^rejoinMask)+rejoinMask+1) | r
	e.rejoinAt = time.Time{}
	e.stats.Rejoins++
	s.generation = gen
	e.refingerprint(s)
	if _, ok := s.getRaw(probationKey); ok {
		e.write(probationKey, "", wire.StatusDeleted, now, time.Time{})
	}
	e.probationEnd = now.Add(e.probation(r))
	if e.rejoinPartition {
		// No probation after a partition (see selfRemoved): announced
		// with the new incarnation's first state, so that members take
		// it as the same member rejoining, silently.
		e.rejoinPartition = false
		e.endProbation(now)
	}
	e.markChanged(s)
	e.pushed = 0 // peers need the whole state of the new incarnation
	e.pushDue = true
	// What this node removed with a partition comes back as soon as it is
	// heard of as a member again: rejoining too, or held live by a member
	// (healedBy), not now, while the observers on this side that removed
	// it may still alert about it. What it removed alone, cut off from
	// everyone, must earn admission again, as for a joiner. The rest
	// stays dead: the cluster removed it (a node it removed wrongly learns
	// so from its digests, and rejoins).
	for _, n := range e.sorted {
		switch {
		case n.status != statusDead:
		case n.cutLarge:
			e.healedAt = e.fd.Mono(now)
		case n.cutLocal:
			e.markPending(n, now)
			e.startPending(n, fromRelay, false, now)
		}
		if n != s && n.isAlerted() {
			e.edgeOf(n).alerted = false
		}
	}
	var alerted []string
	for _, en := range s.sortedEntries() {
		if id, ok := strings.CutPrefix(en.key, alertPrefix); ok && en.status == wire.StatusSet {
			alerted = append(alerted, id)
		}
	}
	for _, id := range alerted { // in version order: deterministic
		e.deleteAlert(id, now)
	}
}
