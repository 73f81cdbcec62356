package gossip

import (
	"errors"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// One exchange reconciles two nodes in three datagrams (van Renesse et al.,
// "Efficient reconciliation and flow control for anti-entropy protocols"):
//
//	initiator → responder  Syn(digest)
//	responder → initiator  SynAck(digest, delta for the initiator)
//	initiator → responder  Ack(delta for the responder)
//
// Every datagram is built to fit MaxPacketSize: the sizes of digest and delta
// are computed before encoding, against the exact budget left by the header,
// the sealing overhead and the message's own framing.

// sendSyn opens an exchange with the node at addr.
func (e *Engine) sendSyn(addr string) { e.sendSynWithin(addr, e.cfg.MaxPacketSize) }

// sendSynWithin opens an exchange with a Syn of at most limit bytes.
func (e *Engine) sendSynWithin(addr string, limit int) {
	e.send(addr, wire.MsgSyn, limit, func(budget int) seal.Message {
		m := wire.Syn{From: e.self.id}
		m.Digest = e.buildDigest(budget-wire.SynOverhead(m.From), "")
		return &synOut{e: e, m: m}
	})
}

// Receive handles one datagram from addr, the transport address it came from.
func (e *Engine) Receive(now time.Time, addr string, b []byte) {
	defer e.settle(now)
	e.stats.PacketsReceived++
	e.stats.BytesReceived += uint64(len(b))
	if len(b) > e.cfg.MaxPacketSize {
		e.stats.DroppedOversize++
		return
	}
	h, body, err := wire.ParseHeader(b)
	if err != nil {
		e.stats.DroppedMalformed++
		return
	}
	if h.Type == wire.MsgWrongCluster {
		e.stats.WrongClusterReplies++
		e.refusedBy(addr, e.clusterRefusal(h.ClusterID)) // joindiag.go
		return
	}
	if h.ClusterID != e.cfg.ClusterID {
		e.stats.DroppedClusterMismatch++
		if h.Type == wire.MsgSyn {
			e.replyWrongCluster(now, addr, len(b))
		}
		return
	}
	body, err = e.sealer.Open(b[:len(b)-len(body)], h.Flags, body)
	if err != nil {
		e.countOpenError(err)
		e.openFailed(now, addr, &h, len(b), err) // joindiag.go
		return
	}
	switch h.Type {
	case wire.MsgSyn:
		var m wire.Syn
		if e.decode(wire.DecodeSyn(body, &m)) && e.fromPeer(now, addr, m.From, digestGen(&m.Digest, m.From)) {
			e.noteSender(m.From, now)
			e.handleSyn(now, addr, &m, len(b))
		}
	case wire.MsgSynAck:
		var m wire.SynAck
		if e.decode(wire.DecodeSynAck(body, &m)) && e.fromPeer(now, addr, m.From, digestGen(&m.Digest, m.From)) {
			e.noteSender(m.From, now)
			e.handleSynAck(now, addr, &m, len(b))
		}
	case wire.MsgAck:
		var m wire.Ack
		if e.decode(wire.DecodeAck(body, &m)) && e.fromPeer(now, addr, m.From, deltaGen(&m.Delta, m.From)) {
			e.noteSender(m.From, now)
			e.heard(addr)
			e.applyDelta(&m.Delta, m.From, now)
		}
	case wire.MsgHeartbeat:
		var m wire.Heartbeat
		if e.decode(wire.DecodeHeartbeat(body, &m)) && e.fromPeer(now, addr, m.From, m.Generation) {
			e.noteSender(m.From, now)
			e.heard(addr)
			e.handleHeartbeat(now, addr, &m)
		}
	case wire.MsgPush:
		var m wire.Push
		if e.decode(wire.DecodePush(body, &m)) && e.fromPeer(now, addr, m.From, deltaGen(&m.Delta, m.From)) {
			e.noteSender(m.From, now)
			e.handlePush(now, &m)
		}
	case wire.MsgSum:
		var m wire.Sum
		if e.decode(wire.DecodeSum(body, &m)) && e.fromPeer(now, addr, m.From, m.Generation) {
			e.noteSender(m.From, now)
			e.handleSum(now, addr, &m, len(b))
		}
	case wire.MsgRanges:
		var m wire.Ranges
		if e.decode(wire.DecodeRanges(body, &m)) && e.fromPeer(now, addr, m.From, m.Generation) {
			e.noteSender(m.From, now)
			e.handleRanges(now, addr, &m, len(b))
		}
	case wire.MsgUnauthenticated:
		e.refusedBy(addr, errUnreadable) // joindiag.go
	default:
		e.stats.DroppedMalformed++
	}
}

// decode counts a decoding failure.
func (e *Engine) decode(err error) bool {
	if err != nil {
		e.stats.DroppedMalformed++
		return false
	}
	return true
}

// fromPeer rejects datagrams claiming to come from ourselves (a loop through
// a seed list naming our own address, a forgery, or another process with
// our ID: see conflict.go) or from nobody. gen is the incarnation the
// sender claims, 0 if the message does not say.
func (e *Engine) fromPeer(now time.Time, addr, id string, gen uint64) bool {
	if id != "" {
		e.claim(now, addr, id, gen)
	}
	if id == e.self.id || id == "" {
		switch {
		case id != "" && gen == e.self.generation:
			e.notice(Notice{Kind: NoticeLoop, Addr: addr}) // diag.go: a seed address names us
		case gen == 0:
			e.stats.DroppedMalformed++
		}
		return false
	}
	return true
}

// contact takes a Syn or SynAck from node id as evidence that it runs,
// when the digest it carries lists the sender at the incarnation we hold:
// a datagram replayed from an earlier incarnation proves nothing.
func (e *Engine) contact(id string, d *wire.Digest, now time.Time) {
	n := e.nodes[id]
	if n == nil || n.status != statusPending {
		return
	}
	for i := range d.Entries {
		if d.Entries[i].ID == id {
			if d.Entries[i].Generation == n.generation {
				e.evidence(n, now)
			}
			return
		}
	}
}

func (e *Engine) handleSyn(now time.Time, addr string, m *wire.Syn, reqLen int) {
	e.noteCaller(now, addr, m.From) // audience.go
	limit := e.replyLimit(addr, m.From, reqLen)
	e.heard(addr)
	e.applyDigest(&m.Digest, m.From, now)
	e.contact(m.From, &m.Digest, now)
	out := e.answerDigest(addr, m.From, &m.Digest, nil, limit)
	if out != nil && limit == e.cfg.MaxPacketSize {
		e.maybeTransfer(now, addr, m, &out.m) // transfer.go
	}
}

// answerDigest sends node from at addr the SynAck answering its digest d:
// what it lacks, and our digest. cover, when not nil, marks the ranges
// within which d lists every node the sender holds (ranges.go): the
// delta then offers our nodes in them that d does not list, as for a
// complete digest, and our digest lists only what we learnt we lack
// (nodes d showed ahead or unknown to us, and our own changes), not a
// rotation over every node, so that the answer grows with the
// differences, not with the view.
func (e *Engine) answerDigest(addr, from string, d *wire.Digest, cover []uint16, limit int) *synAckOut {
	var out *synAckOut
	e.send(addr, wire.MsgSynAck, limit, func(budget int) seal.Message {
		r := wire.SynAck{From: e.self.id}
		room := budget - wire.SynAckOverhead(r.From)
		if room < wire.DigestOverhead(0)+wire.DeltaOverhead(0) {
			return nil // a request too small to answer within the bound
		}
		if cover != nil {
			r.Digest = e.buildLeanDigest(room/2, from)
			r.Delta = e.buildDeltaCovering(d, cover, room-r.Digest.Size())
			out = &synAckOut{e: e, m: r}
			return out
		}
		// The delta gets what the digest does not need, and at least half.
		reserve := room / 2
		if full := e.fullDigestSize(reserve); full >= 0 {
			reserve = min(reserve, full)
		}
		r.Delta = e.buildDelta(d, room-reserve)
		r.Digest = e.buildDigest(room-r.Delta.Size(), from)
		out = &synAckOut{e: e, m: r}
		return out
	})
	return out
}

func (e *Engine) handleSynAck(now time.Time, addr string, m *wire.SynAck, reqLen int) {
	e.answered(addr, now)
	limit := e.replyLimit(addr, m.From, reqLen)
	e.heard(addr)
	e.applyDelta(&m.Delta, m.From, now)
	e.applyDigest(&m.Digest, m.From, now)
	e.contact(m.From, &m.Digest, now)
	e.send(addr, wire.MsgAck, limit, func(budget int) seal.Message {
		a := wire.Ack{From: e.self.id}
		if budget < wire.AckOverhead(a.From)+wire.DeltaOverhead(0) {
			return nil
		}
		a.Delta = e.buildDelta(&m.Digest, budget-wire.AckOverhead(a.From))
		if len(a.Delta.Nodes) == 0 {
			return nil
		}
		return &ackOut{m: a}
	})
}

// answered records the round trip of the exchange this round opened with
// addr, now that addr answered it (a SynAck, or a Sum answer: sum.go).
func (e *Engine) answered(addr string, now time.Time) {
	if t, ok := e.synSent[addr]; ok {
		delete(e.synSent, addr)
		e.rtts.observe(time.Duration(e.fd.Mono(now) - t).Seconds())
	}
}

// unknownReplyFactor bounds the reply to a sender we do not know: at most
// this many times the size of its datagram (see replyLimit).
const unknownReplyFactor = 4

// replyLimit returns the size limit of our reply to a datagram of reqLen
// bytes from node id at addr. A node we know at that address gets a full
// datagram. Anyone else (a joiner, or a forger using a spoofed source
// address to aim our replies at a victim) gets at most unknownReplyFactor
// times what it sent, so we can never be used to amplify traffic. A joiner
// still makes progress: our first SynAck lists its ID as wanted, so its Ack
// brings us its state, and from its next exchange on it is known.
func (e *Engine) replyLimit(addr, id string, reqLen int) int {
	if n := e.nodes[id]; n != nil && n.addr == addr {
		return e.cfg.MaxPacketSize
	}
	return min(e.cfg.MaxPacketSize, unknownReplyFactor*reqLen)
}

// replyWrongCluster answers a Syn from another cluster with a bare header,
// at most once per sender and interval and never larger than the request,
// so that it cannot be used to amplify traffic.
func (e *Engine) replyWrongCluster(now time.Time, addr string, reqLen int) {
	h := wire.Header{Type: wire.MsgWrongCluster, ClusterID: e.cfg.ClusterID}
	if h.Size() > reqLen {
		return
	}
	if last, ok := e.lastWrongCl[addr]; ok && now.Sub(last) < 10*e.cfg.GossipInterval {
		return
	}
	if len(e.lastWrongCl) >= maxWrongClusterPeers {
		for a, t := range e.lastWrongCl {
			if now.Sub(t) >= 10*e.cfg.GossipInterval {
				delete(e.lastWrongCl, a)
			}
		}
		if len(e.lastWrongCl) >= maxWrongClusterPeers {
			return
		}
	}
	e.lastWrongCl[addr] = now
	e.emitDatagram(addr, wire.AppendHeader(nil, &h))
}

// maxWrongClusterPeers bounds the senders remembered for rate limiting.
const maxWrongClusterPeers = 1024

// countOpenError counts a datagram that could not be opened.
func (e *Engine) countOpenError(err error) {
	switch {
	case errors.Is(err, seal.ErrAuth):
		e.stats.DroppedAuth++
	case errors.Is(err, seal.ErrOversize):
		e.stats.DroppedOversize++
	default:
		e.stats.DroppedMalformed++
	}
}
