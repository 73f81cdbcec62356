package gossip

import (
	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Fitting the engine's messages into one datagram (see package seal for
// the compression and the retries). Cutting keeps every message valid and
// useful: a digest loses its last entries and is then partial (Complete
// false), and the nodes it no longer lists are queued to be listed first
// next time; a delta loses its last node deltas, or the last entries of its
// last node delta, which then says MaxVersion 0 (cut), so the no-gap rule
// holds.

// send builds a message with build, fits it into a datagram of at most limit
// bytes, seals it and queues it for addr. build gets a body budget and
// returns the message, or nil for nothing to send.
func (e *Engine) send(addr string, t wire.MsgType, limit int, build func(budget int) seal.Message) {
	data, err := e.sealer.Frame(wire.Header{Type: t, ClusterID: e.cfg.ClusterID}, limit, build)
	switch {
	case err != nil:
		// Unreachable by construction; counted so tests would see it.
		e.stats.DroppedOutgoing++
	case data != nil:
		e.emitDatagram(addr, data)
	}
}

// synOut is a Syn being fitted.
type synOut struct {
	e *Engine
	m wire.Syn
}

func (o *synOut) Size() int                  { return o.m.Size() }
func (o *synOut) AppendBody(b []byte) []byte { return wire.AppendSyn(b, &o.m) }
func (o *synOut) Trim(limit int) {
	o.e.trimDigest(&o.m.Digest, limit-wire.SynOverhead(o.m.From))
}

// synAckOut is a SynAck being fitted.
type synAckOut struct {
	e *Engine
	m wire.SynAck
}

func (o *synAckOut) Size() int                  { return o.m.Size() }
func (o *synAckOut) AppendBody(b []byte) []byte { return wire.AppendSynAck(b, &o.m) }

// trim cuts digest and delta in proportion to their sizes.
func (o *synAckOut) Trim(limit int) {
	room := limit - wire.SynAckOverhead(o.m.From)
	dg, dl := o.m.Digest.Size(), o.m.Delta.Size()
	if dg+dl <= room {
		return
	}
	target := min(int(int64(dl)*int64(room)/int64(dg+dl)), room-wire.DigestOverhead(0))
	trimDelta(&o.m.Delta, target)
	o.e.trimDigest(&o.m.Digest, room-o.m.Delta.Size())
}

// ackOut is an Ack being fitted.
type ackOut struct {
	m wire.Ack
}

func (o *ackOut) Size() int                  { return o.m.Size() }
func (o *ackOut) AppendBody(b []byte) []byte { return wire.AppendAck(b, &o.m) }
func (o *ackOut) Trim(limit int)             { trimDelta(&o.m.Delta, limit-wire.AckOverhead(o.m.From)) }

// trimDigest drops the last entries of d until d.Size() <= limit. The
// dropped nodes are queued to be listed early in later digests, as they
// were meant to be listed now.
func (e *Engine) trimDigest(d *wire.Digest, limit int) {
	size := d.Size()
	n := len(d.Entries)
	for n > 0 && size > limit {
		size -= d.Entries[n-1].Size() + wire.ArrayHeaderSize(n) - wire.ArrayHeaderSize(n-1)
		n--
	}
	if n == len(d.Entries) {
		return
	}
	for _, de := range d.Entries[n:] {
		if de.Generation == 0 {
			e.markWanted(de.ID)
		} else if node := e.nodes[de.ID]; node != nil {
			e.markChanged(node)
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
