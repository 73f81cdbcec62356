package scuttlebutt

import (
	"time"

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
func (c *core) sendSyn(addr string) {
	c.send(addr, wire.MsgSyn, c.cfg.MaxPacketSize, func(budget int) outgoing {
		m := wire.Syn{From: c.self.id}
		m.Digest = c.buildDigest(budget-wire.SynOverhead(m.From), "")
		return &synOut{c: c, m: m}
	})
}

// receive handles one datagram from addr.
func (c *core) receive(now time.Time, addr string, b []byte) {
	c.stats.PacketsReceived++
	c.stats.BytesReceived += uint64(len(b))
	if len(b) > c.cfg.MaxPacketSize {
		c.stats.DroppedOversize++
		return
	}
	h, body, err := wire.ParseHeader(b)
	if err != nil {
		c.stats.DroppedMalformed++
		return
	}
	if h.Type == wire.MsgWrongCluster {
		c.stats.WrongClusterReplies++
		return
	}
	if h.ClusterID != c.cfg.ClusterID {
		c.stats.DroppedClusterMismatch++
		if h.Type == wire.MsgSyn {
			c.replyWrongCluster(now, addr, len(b))
		}
		return
	}
	body, err = c.sealer.open(b[:len(b)-len(body)], h.Flags, body)
	if err != nil {
		c.countOpenError(err)
		return
	}
	switch h.Type {
	case wire.MsgSyn:
		var m wire.Syn
		if c.decode(wire.DecodeSyn(body, &m)) && c.fromPeer(m.From) {
			c.handleSyn(now, addr, &m, len(b))
		}
	case wire.MsgSynAck:
		var m wire.SynAck
		if c.decode(wire.DecodeSynAck(body, &m)) && c.fromPeer(m.From) {
			c.handleSynAck(now, addr, &m, len(b))
		}
	case wire.MsgAck:
		var m wire.Ack
		if c.decode(wire.DecodeAck(body, &m)) && c.fromPeer(m.From) {
			c.heard(addr)
			c.applyDelta(&m.Delta, now)
			c.contact(m.From, now)
		}
	default:
		c.stats.DroppedMalformed++
	}
}

// decode counts a decoding failure.
func (c *core) decode(err error) bool {
	if err != nil {
		c.stats.DroppedMalformed++
		return false
	}
	return true
}

// fromPeer rejects datagrams claiming to come from ourselves (a loop through
// a seed list naming our own address, or a forgery) or from nobody.
func (c *core) fromPeer(id string) bool {
	if id == c.self.id || id == "" {
		c.stats.DroppedMalformed++
		return false
	}
	return true
}

// contact treats a valid datagram from a known node as proof of life,
// except for a node we hold dead: nothing in a datagram proves it was sent
// recently (it may be a replay, even on an encrypted cluster), so a dead node
// comes back only with a heartbeat newer than any we saw (observeHeartbeat)
// or a new generation.
func (c *core) contact(id string, now time.Time) {
	if n := c.nodes[id]; n != nil && n.status != statusDead {
		c.directContact(id, now)
	}
}

// heard notes a valid datagram from addr, answering a pending join.
func (c *core) heard(addr string) {
	if _, ok := c.joinWait[addr]; ok {
		clear(c.joinWait)
		c.joinAnswered = true
	}
}

func (c *core) handleSyn(now time.Time, addr string, m *wire.Syn, reqLen int) {
	limit := c.replyLimit(addr, m.From, reqLen)
	c.heard(addr)
	c.applyDigest(&m.Digest, now)
	c.contact(m.From, now)
	c.send(addr, wire.MsgSynAck, limit, func(budget int) outgoing {
		r := wire.SynAck{From: c.self.id}
		room := budget - wire.SynAckOverhead(r.From)
		if room < wire.DigestOverhead(0)+wire.DeltaOverhead(0) {
			return nil // a request too small to answer within the bound
		}
		// The delta gets what the digest does not need, and at least half.
		reserve := room / 2
		if full := c.fullDigestSize(reserve); full >= 0 {
			reserve = min(reserve, full)
		}
		r.Delta = c.buildDelta(&m.Digest, room-reserve)
		r.Digest = c.buildDigest(room-r.Delta.Size(), m.From)
		return &synAckOut{c: c, m: r}
	})
}

func (c *core) handleSynAck(now time.Time, addr string, m *wire.SynAck, reqLen int) {
	if t, ok := c.synSent[addr]; ok {
		delete(c.synSent, addr)
		c.rtts.observe(time.Duration(c.windowParams.mono(now) - t).Seconds())
	}
	limit := c.replyLimit(addr, m.From, reqLen)
	c.heard(addr)
	c.applyDelta(&m.Delta, now)
	c.applyDigest(&m.Digest, now)
	c.contact(m.From, now)
	c.send(addr, wire.MsgAck, limit, func(budget int) outgoing {
		a := wire.Ack{From: c.self.id}
		if budget < wire.AckOverhead(a.From)+wire.DeltaOverhead(0) {
			return nil
		}
		a.Delta = c.buildDelta(&m.Digest, budget-wire.AckOverhead(a.From))
		if len(a.Delta.Nodes) == 0 {
			return nil
		}
		return &ackOut{m: a}
	})
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
func (c *core) replyLimit(addr, id string, reqLen int) int {
	if n := c.nodes[id]; n != nil && n.addr == addr {
		return c.cfg.MaxPacketSize
	}
	return min(c.cfg.MaxPacketSize, unknownReplyFactor*reqLen)
}

// replyWrongCluster answers a Syn from another cluster with a bare header,
// at most once per sender and interval and never larger than the request,
// so that it cannot be used to amplify traffic.
func (c *core) replyWrongCluster(now time.Time, addr string, reqLen int) {
	h := wire.Header{Type: wire.MsgWrongCluster, ClusterID: c.cfg.ClusterID}
	if h.Size() > reqLen {
		return
	}
	if last, ok := c.lastWrongCl[addr]; ok && now.Sub(last) < 10*c.cfg.GossipInterval {
		return
	}
	if len(c.lastWrongCl) >= maxWrongClusterPeers {
		for a, t := range c.lastWrongCl {
			if now.Sub(t) >= 10*c.cfg.GossipInterval {
				delete(c.lastWrongCl, a)
			}
		}
		if len(c.lastWrongCl) >= maxWrongClusterPeers {
			return
		}
	}
	c.lastWrongCl[addr] = now
	c.emitDatagram(addr, wire.AppendHeader(nil, &h))
}

// maxWrongClusterPeers bounds the senders remembered for rate limiting.
const maxWrongClusterPeers = 1024

func (c *core) emitDatagram(addr string, data []byte) {
	c.stats.PacketsSent++
	c.stats.BytesSent += uint64(len(data))
	c.sizes.observe(float64(len(data)))
	c.out = append(c.out, outMsg{to: addr, data: data})
}
