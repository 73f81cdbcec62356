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
// probed node's state that this node lacks, too. A node that does not answer waits out
// the hold as before. At most probesPerRound go out each round, so that a
// joiner of a large cluster probes it over a few rounds rather than in
// one burst, and nodes the budget leaves out are admitted by their hold.

// probesPerRound bounds the probes one node sends per gossip round.
const probesPerRound = 32

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
