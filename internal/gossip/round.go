package gossip

import (
	"slices"
	"time"
)

// round runs one gossip round: heartbeat counter, TTL expiry, collection
// of dead peers and tombstones, a heartbeat to each observer, an exchange
// with each chosen peer (opened by a Sum when it is live and this node has
// no news, by a Syn otherwise: sum.go), and, while no peer is live, a request to resolve the seeds
// again (their addresses may have changed).
func (e *Engine) round(now time.Time) {
	e.self.heartbeat++
	e.expireTTLs(now)
	e.checkPeers(now)
	e.collectTombstones(now)
	e.deleteRetired(now)
	e.forgetUnansweredSyns(now)
	e.sendHeartbeats(now)
	e.probeBudget = e.probeBudgetFor()
	e.transferAsks, e.transferAsksBefore = 0, e.transferAsks
	e.pushFloor, e.pushedRound = e.pushedRound, e.pushed
	targets, live := e.chooseTargets(e.exchangesPerRound())
	for i, addr := range targets {
		if i < live {
			e.openExchange(addr, now) // sum.go
		} else {
			e.sendSyn(addr)
		}
		e.synSent[addr] = e.fd.Mono(now)
	}
	e.stats.Rounds++
	e.reportListed() // conflict.go
	if e.liveCount() == 0 {
		e.requestResolve(e.join.names)
	}
}

// forgetUnansweredSyns drops the send times of Syns that went unanswered
// for ten rounds: lost, or sent to a node that is gone.
func (e *Engine) forgetUnansweredSyns(now time.Time) {
	old := e.fd.Mono(now.Add(-10 * e.cfg.GossipInterval))
	for a, t := range e.synSent {
		if t < old {
			delete(e.synSent, a)
		}
	}
}

// liveCount returns the number of live peers.
func (e *Engine) liveCount() int { return e.rings.size() - 1 - len(e.ghosts) }

// gossipTargets chooses this round's peers: k random live peers; with
// probability dead/(live+1), and at least deadProbeFloor, one node that is
// dead or pending, so that the sides of a healed partition meet, a node
// removed here but not elsewhere learns so (from our digest) and rejoins,
// and newcomers are confirmed by direct contact; and a seed with
// probability 1/(live+1), every seed while no peer is live.
func (e *Engine) gossipTargets(k int) []string {
	t, _ := e.chooseTargets(k)
	return t
}

// chooseTargets is gossipTargets, also returning how many of the targets,
// at the front, are live peers.
func (e *Engine) chooseTargets(k int) (targets []string, live int) {
	// The candidate lists reuse their memory from round to round.
	liveIDs, otherIDs := e.liveScratch[:0], e.otherScratch[:0]
	defer func() { e.liveScratch, e.otherScratch = liveIDs[:0], otherIDs[:0] }()
	for _, n := range e.sorted {
		switch {
		case n == e.self || n.status == statusLeft:
		case n.status == statusLive:
			liveIDs = append(liveIDs, n.addr)
		default:
			otherIDs = append(otherIDs, n.addr)
		}
	}
	targets = make([]string, 0, k+2)
	k = min(k, len(liveIDs))
	live = k
	for i := range k { // partial Fisher-Yates
		j := i + e.rng.IntN(len(liveIDs)-i)
		liveIDs[i], liveIDs[j] = liveIDs[j], liveIDs[i]
		targets = append(targets, liveIDs[i])
	}
	if len(otherIDs) > 0 && e.rng.Float64() < max(float64(len(otherIDs))/float64(len(liveIDs)+1), deadProbeFloor) {
		targets = appendUnique(targets, otherIDs[e.rng.IntN(len(otherIDs))])
	}
	seeds := e.join.addrs
	switch {
	case len(seeds) == 0:
	case len(liveIDs) == 0:
		for _, s := range seeds {
			targets = appendUnique(targets, s)
		}
	case e.rng.Float64() < 1/float64(len(liveIDs)+1):
		targets = appendUnique(targets, seeds[e.rng.IntN(len(seeds))])
	}
	skip := func(a string) bool { return a == e.self.addr || a == "" }
	for _, a := range targets[:live] {
		if skip(a) {
			live--
		}
	}
	return slices.DeleteFunc(targets, skip), live
}

// deadProbeFloor is the least probability that a round also probes a node
// held dead or pending, when there is one.
const deadProbeFloor = 0.125

func appendUnique(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}
