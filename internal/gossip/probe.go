package gossip

import (
	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Probes of relayed incarnations. A node learnt from another node's state
// waits for freshHold before it is admitted (admission.go), since it may
// have crashed moments ago; a joiner learns most of the cluster that way.
// So this node asks such a node directly: a probe is a Syn whose digest
// lists this node and the probed node as held here (a few dozen bytes),
// and the SynAck that comes back, listing its sender at the incarnation
// held, is the first-hand evidence that admits it at once; it carries the
// probed node's state that this node lacks, too. A node that does not
// answer waits out the hold, then a second one, probed once more: had it
// crashed after it was relayed here, its observers convict it meanwhile,
// and this node never reports it live (admission.go, holdEnds).
//
// Probes are spread over the hold: each round at least probesPerRound go
// out, and more when the queue is long, so that it is through two rounds
// before the hold ends: a joiner of a large cluster probes it over a few
// rounds rather than in one burst, yet every node it holds before its
// hold ends (with 32 a round, a joiner of 200 nodes or more admitted the
// rest by the hold alone, and reported live some that had crashed since).
// At most maxProbesPerRound go out a round (about 18 kB), so a joiner of
// more than about a thousand nodes still admits some by the hold alone.

// probesPerRound is the least number of probes one node may send per
// gossip round, maxProbesPerRound the most.
const (
	probesPerRound    = 32
	maxProbesPerRound = 256
)

// probeBudgetFor returns how many probes may go out this round: enough
// that the queue is through two rounds before a hold that started with it
// ends. The rate set when the queue grew holds until it is empty.
func (e *Engine) probeBudgetFor() int {
	if len(e.probeQ) == 0 {
		e.probeRate = probesPerRound
		return e.probeRate
	}
	rounds := max(1, int(e.freshHold()/e.cfg.GossipInterval)-2)
	e.probeRate = min(max(e.probeRate, probesPerRound, (len(e.probeQ)+rounds-1)/rounds), maxProbesPerRound)
	return e.probeRate
}

// queueProbe schedules a probe of n, pending on relayed news.
func (e *Engine) queueProbe(n *nodeState) {
	if n.addr == "" || n.probedGen == n.generation {
		return
	}
	n.probedGen = n.generation
	e.probeQ = append(e.probeQ, n)
}

// sendProbes sends the queued probes the round's budget allows.
func (e *Engine) sendProbes() {
	sent := 0
	for _, n := range e.probeQ {
		if e.probeBudget == 0 {
			break
		}
		sent++
		if n.status != statusPending || n.evidence || e.nodes[n.id] != n {
			continue // admitted, removed or replaced meanwhile
		}
		e.probeBudget--
		e.stats.ProbesSent++
		n.probeSent = true
		e.sendProbe(n)
	}
	clear(e.probeQ[:sent])
	e.probeQ = e.probeQ[sent:]
	if len(e.probeQ) == 0 {
		e.probeQ = nil
	}
}

// sendProbe sends n a Syn listing this node and n.
func (e *Engine) sendProbe(n *nodeState) {
	e.send(n.addr, wire.MsgSyn, e.cfg.MaxPacketSize, func(budget int) seal.Message {
		m := wire.Syn{From: e.self.id, Digest: wire.Digest{Entries: []wire.DigestEntry{e.self.digestEntry(), n.digestEntry()}}}
		return &synOut{e: e, m: m}
	})
}
