package gossip

import (
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// State transfer. A node that holds next to nothing (a joiner) would learn a
// large cluster one datagram per exchange, a round apart. When a Syn comes
// with a complete digest that lacks at least transferMin of the members
// held here, beyond what the SynAck carries, this node sends the rest as a
// paced stream of Acks (each a delta for the receiver, nodes in ID order,
// every node's whole state): transferBatch datagrams every pushGap (a
// twentieth of a round), so a 5000-node state arrives within a few seconds
// while neither side sees more than a few hundred kB/s. At most
// maxTransfers run at once, each for at most transferRounds rounds; a
// stream that a node's own exchanges would do better (the receiver's digest
// is no longer complete) is not restarted. A node asked by more than
// maxTransfers such Syns in a round (a whole cluster starting at once
// through it) streams nothing that round and the next: streams to a few
// of many joiners of a cluster still forming made them hold thousands of
// relayed, unconfirmed nodes at once, and the bootstrap slower (37 s
// instead of 21 s for 2000 nodes in the simulator). Van Renesse et al. 2008 §4
// describe flow control for scuttlebutt by rate; this is the same idea for a
// single catch-up.

// Flow control of state transfers.
const (
	transferMin    = 16 // nodes lacking, beyond the SynAck's, to start one
	transferBatch  = 8  // datagrams per pushGap
	maxTransfers   = 2  // streams at once
	transferRounds = 10 // the longest a stream runs
)

// transfer is one stream of state to a node that lacks it.
type transfer struct {
	addr, id string
	have     map[string]struct{} // nodes it holds or was sent
	next     string              // the ID to send from (ID order)
	from     uint64              // for node next: the version to send from (a cut delta)
	at, end  int64               // next batch, and the stream's end (phi.Params.Mono)
}

// maybeTransfer starts a stream to the sender of Syn m at addr when its
// complete digest, with what the SynAck r carries, lacks at least
// transferMin of our members.
func (e *Engine) maybeTransfer(now time.Time, addr string, m *wire.Syn, r *wire.SynAck) {
	if !m.Digest.Complete || e.liveCount()+1-len(m.Digest.Entries)-len(r.Delta.Nodes) < transferMin {
		return
	}
	if e.transferAsks++; e.transferAsks > maxTransfers || e.transferAsksBefore > maxTransfers {
		return // many joiners at once: a cluster forming
	}
	if len(e.transfers) >= maxTransfers {
		return
	}
	for _, t := range e.transfers {
		if t.id == m.From {
			return
		}
	}
	have := make(map[string]struct{}, len(m.Digest.Entries)+len(r.Delta.Nodes))
	for i := range m.Digest.Entries {
		have[m.Digest.Entries[i].ID] = struct{}{}
	}
	for i := range r.Delta.Nodes {
		if r.Delta.Nodes[i].MaxVersion != 0 { // sent whole, not cut
			have[r.Delta.Nodes[i].ID] = struct{}{}
		}
	}
	mono := e.fd.Mono(now)
	e.transfers = append(e.transfers, &transfer{addr: addr, id: m.From, have: have, at: mono,
		end: mono + int64(transferRounds*e.cfg.GossipInterval)})
	e.stats.TransfersStarted++
}

// driveTransfers sends the batches that are due.
func (e *Engine) driveTransfers(now time.Time) {
	mono := e.fd.Mono(now)
	keep := e.transfers[:0]
	for _, t := range e.transfers {
		if mono >= t.at {
			for range transferBatch {
				if !e.sendTransfer(t) {
					t.end = mono // done
					break
				}
			}
			t.at = mono + int64(e.pushGap())
		}
		if mono < t.end && e.nodes[t.id] != nil && e.nodes[t.id].status != statusDead && e.nodes[t.id].status != statusLeft {
			keep = append(keep, t)
		}
	}
	clear(e.transfers[len(keep):])
	e.transfers = keep
}

// nextTransfer returns when the next batch is due (zero: none).
func (e *Engine) nextTransfer() time.Time {
	var t time.Time
	for _, tr := range e.transfers {
		if at := e.fd.At(tr.at); t.IsZero() || at.Before(t) {
			t = at
		}
	}
	return t
}

// sendTransfer sends t's next datagram and reports whether there was
// anything left to send.
func (e *Engine) sendTransfer(t *transfer) bool {
	var out *ackOut
	e.send(t.addr, wire.MsgAck, e.cfg.MaxPacketSize, func(budget int) seal.Message {
		a := wire.Ack{From: e.self.id}
		a.Delta = e.transferDelta(t, budget-wire.AckOverhead(a.From))
		if len(a.Delta.Nodes) == 0 {
			return nil
		}
		out = &ackOut{m: a}
		return out
	})
	if out == nil {
		return false
	}
	// Advance past what went out (compression may have cut the tail).
	nds := out.m.Delta.Nodes
	for i := range nds {
		t.have[nds[i].ID] = struct{}{}
	}
	last := &nds[len(nds)-1]
	t.next, t.from = last.ID, 0
	if last.MaxVersion == 0 && len(last.Entries) > 0 { // cut: the rest next time
		delete(t.have, last.ID)
		t.from = last.Entries[len(last.Entries)-1].Version
	}
	e.stats.TransferDatagrams++
	return true
}

// transferDelta fills a delta of at most budget bytes with the members t's
// receiver lacks, from t.next on in ID order.
func (e *Engine) transferDelta(t *transfer, budget int) wire.Delta {
	d := wire.Delta{Nodes: e.deltaBuf[:0]}
	size := wire.DeltaOverhead(0)
	i := 0
	if t.next != "" {
		i, _ = slices.BinarySearch(e.ids, t.next)
	}
	for ; i < len(e.sorted); i++ {
		n := e.sorted[i]
		if _, ok := t.have[n.id]; ok || n.id == t.id || (n != e.self && n.status != statusLive) {
			continue
		}
		from := uint64(0)
		if n.id == t.next {
			from = t.from
		}
		nd, ok := e.fillNodeDelta(deltaCandidate{n: n, from: from, rank: rankUnknown}, budget-size, len(d.Nodes))
		if !ok {
			break
		}
		size += wire.ArrayHeaderSize(len(d.Nodes)+1) - wire.ArrayHeaderSize(len(d.Nodes)) + nd.Size()
		d.Nodes = append(d.Nodes, nd)
	}
	e.deltaBuf = d.Nodes[:0]
	return d
}
