package scuttlebutt

import "github.com/scuttlego/scuttlebutt/internal/wire"

// Fitting a message into one datagram. Without compression a message is
// built against the exact body budget (the limit less the header and the
// sealing overhead) and always fits. With compression the builder gets a
// budget inflated by the running ratio estimate of the message type; the
// encoded body is compressed and, if it does not fit, cut from the end to the
// size the observed ratio suggests and compressed again. After maxFitTries
// the message is cut to the exact budget, so that even uncompressed it fits:
// no datagram ever exceeds the limit.
//
// Cutting keeps every message valid and useful: a digest loses its last
// entries and is then partial (Complete false), and the nodes it no longer
// lists are queued to be listed first next time; a delta loses its last
// node deltas, or the last entries of its last node delta, which then says
// MaxVersion 0 (cut), so the no-gap rule holds.

// maxFitTries bounds the compressions of one message before the fallback.
const maxFitTries = 3

// minCompressSize is the body size below which compressing is not tried:
// DEFLATE gains next to nothing on a few dozen bytes.
const minCompressSize = 128

// outgoing is a message being fitted.
type outgoing interface {
	// size is the encoded size of the body.
	size() int
	// appendBody appends the encoded body.
	appendBody(b []byte) []byte
	// trim cuts the message from the end until size() <= limit, or to an
	// empty digest and delta if limit is smaller than that.
	trim(limit int)
}

// send builds a message with build, fits it into a datagram of at most limit
// bytes, seals it and queues it for addr. build gets a body budget and
// returns the message, or nil for nothing to send.
func (c *core) send(addr string, t wire.MsgType, limit int, build func(budget int) outgoing) {
	h := wire.Header{Type: t, ClusterID: c.cfg.ClusterID}
	header := wire.AppendHeader(nil, &h)
	budget := limit - len(header) - c.sealer.overhead()
	est := &c.sealer.ratios[t]
	if !c.cfg.EnableCompression {
		if m := build(budget); m != nil {
			c.emitSealed(addr, limit, header, m.appendBody(make([]byte, 0, m.size())), false)
		}
		return
	}
	inflated := est.inflate(budget, c.sealer.plainLimit)
	m := build(inflated)
	if m == nil {
		return
	}
	var z []byte
	for try := 0; ; try++ {
		body := m.appendBody(make([]byte, 0, m.size()))
		if len(body) < minCompressSize && len(body) <= budget {
			c.emitSealed(addr, limit, header, body, false)
			return
		}
		z = compress(z[:0], body)
		if len(body) >= inflated/2 {
			est.observe(len(body), len(z))
		}
		switch {
		case len(z) < len(body) && len(z) <= budget:
			c.emitSealed(addr, limit, header, z, true)
			return
		case len(body) <= budget:
			c.emitSealed(addr, limit, header, body, false)
			return
		}
		if try >= maxFitTries || len(z) >= len(body) {
			// The fallback: cut to the exact budget, after which the next
			// round sends, compressed or not. A message that cannot be cut
			// that far (a reply limit below even an empty message) is not
			// sent at all.
			if m.trim(budget); m.size() > budget {
				return
			}
			continue
		}
		m.trim(max(budget, min(len(body)-1, int(int64(len(body))*int64(budget)*15/(16*int64(len(z)))))))
	}
}

// emitSealed seals a body and queues the datagram.
func (c *core) emitSealed(addr string, limit int, header, body []byte, compressed bool) {
	data, err := c.sealer.seal(header, body, compressed)
	if err != nil || len(data) > limit {
		// Unreachable by construction; counted so tests would see it.
		c.stats.DroppedOutgoing++
		return
	}
	c.emitDatagram(addr, data)
}

// synOut is a Syn being fitted.
type synOut struct {
	c *core
	m wire.Syn
}

func (o *synOut) size() int                  { return o.m.Size() }
func (o *synOut) appendBody(b []byte) []byte { return wire.AppendSyn(b, &o.m) }
func (o *synOut) trim(limit int) {
	o.c.trimDigest(&o.m.Digest, limit-wire.SynOverhead(o.m.From))
}

// synAckOut is a SynAck being fitted.
type synAckOut struct {
	c *core
	m wire.SynAck
}

func (o *synAckOut) size() int                  { return o.m.Size() }
func (o *synAckOut) appendBody(b []byte) []byte { return wire.AppendSynAck(b, &o.m) }

// trim cuts digest and delta in proportion to their sizes.
func (o *synAckOut) trim(limit int) {
	room := limit - wire.SynAckOverhead(o.m.From)
	dg, dl := o.m.Digest.Size(), o.m.Delta.Size()
	if dg+dl <= room {
		return
	}
	target := min(int(int64(dl)*int64(room)/int64(dg+dl)), room-wire.DigestOverhead(0))
	trimDelta(&o.m.Delta, target)
	o.c.trimDigest(&o.m.Digest, room-o.m.Delta.Size())
}

// ackOut is an Ack being fitted.
type ackOut struct {
	m wire.Ack
}

func (o *ackOut) size() int                  { return o.m.Size() }
func (o *ackOut) appendBody(b []byte) []byte { return wire.AppendAck(b, &o.m) }
func (o *ackOut) trim(limit int)             { trimDelta(&o.m.Delta, limit-wire.AckOverhead(o.m.From)) }

// trimDigest drops the last entries of d until d.Size() <= limit. The
// dropped nodes are queued to be listed early in later digests, as they
// were meant to be listed now.
func (c *core) trimDigest(d *wire.Digest, limit int) {
	size := d.Size()
	n := len(d.Entries)
	for n > 0 && size > limit {
		size -= d.Entries[n-1].Size() + wire.ArrayHeaderSize(n) - wire.ArrayHeaderSize(n-1)
		n--
	}
	if n == len(d.Entries) {
		return
	}
	for _, e := range d.Entries[n:] {
		if e.Generation == 0 {
			c.markWanted(e.ID)
		} else if node := c.nodes[e.ID]; node != nil {
			c.markChanged(node)
		}
	}
	d.Entries = d.Entries[:n]
	d.Complete = false
}

// trimDelta cuts d from the end until d.Size() <= limit: entries of the last
// node delta while more than one remains (it then has MaxVersion 0: cut),
// then whole node deltas.
func trimDelta(d *wire.Delta, limit int) {
	size := d.Size()
	for size > limit && len(d.Nodes) > 0 {
		i := len(d.Nodes) - 1
		nd := &d.Nodes[i]
		if k := len(nd.Entries); k > 1 {
			if nd.MaxVersion != 0 {
				size -= wire.UintSize(nd.MaxVersion) - wire.UintSize(0)
				nd.MaxVersion = 0
			}
			for k > 1 && size > limit {
				size -= nd.Entries[k-1].Size() + wire.ArrayHeaderSize(k) - wire.ArrayHeaderSize(k-1)
				k--
			}
			nd.Entries = nd.Entries[:k]
			continue
		}
		size -= nd.Size() + wire.ArrayHeaderSize(i+1) - wire.ArrayHeaderSize(i)
		d.Nodes = d.Nodes[:i]
	}
}
