package gossip

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Single exchanges between two engines, datagram by datagram, with no
// driver: the tests hand each datagram on themselves.

// withKey returns testConfig(id) with a keyring of key (nil: none).
func withKey(id string, key []byte) *Config {
	c := testConfig(id)
	c.Keyring = NewTestKeyring(key)
	return c
}

// A sender we do not know at its address gets a reply of at most four times
// its datagram; once known, it gets full datagrams.
func TestReplyToUnknownSenderIsBounded(t *testing.T) {
	for _, key := range [][]byte{nil, Key1} {
		for _, compress := range []bool{false, true} {
			t.Run(fmt.Sprintf("encrypted=%v/compressed=%v", key != nil, compress), func(t *testing.T) {
				cfg := func(id string) *Config {
					c := withKey(id, key)
					c.Compression = compress
					return c
				}
				a := newNode(t, cfg("a"), 1, BigMeta(400))
				j := newNode(t, cfg("joiner"), 2, nil)
				now := T0

				exchange := func(from string, syn []byte) (reply []byte) {
					a.Receive(now, from, syn)
					out, _ := a.exchanges0(now)
					require.Len(t, out, 1)
					require.Equal(t, from, out[0].To)
					return out[0].Data
				}
				j.joinNow(now, []string{a.self.addr})
				out, _ := j.exchanges0(now)
				require.Len(t, out, 1)
				syn := out[0].Data
				reply := exchange(j.self.addr, syn)
				t.Logf("unknown joiner: %d-byte Syn, %d-byte SynAck", len(syn), len(reply))
				require.LessOrEqual(t, len(reply), unknownReplyFactor*len(syn))

				// A forger claiming a known ID from another address is
				// bounded too; so is an Ack to an unknown SynAck's sender.
				require.LessOrEqual(t, len(exchange("victim:1", syn)), unknownReplyFactor*len(syn))

				// The joiner's Ack makes it known; its next Syn gets a full
				// datagram.
				j.Receive(now, a.self.addr, reply)
				out, _ = j.exchanges0(now)
				require.Len(t, out, 1, "the joiner answers with its own state")
				require.Equal(t, wire.MsgAck, msgType(t, out[0].Data))
				a.Receive(now, j.self.addr, out[0].Data)
				_, _ = a.exchanges0(now)
				require.NotNil(t, a.nodes["joiner"], "the joiner is known after one exchange")
				// A push gap later, once its Ack is surely there, the
				// joiner opens another exchange.
				later := now.Add(j.pushGap())
				require.Equal(t, later, j.wakeAt())
				j.Tick(later)
				out, _ = j.exchanges0(later)
				require.Len(t, out, 1)
				require.Equal(t, wire.MsgSyn, msgType(t, out[0].Data), "the follow-up Syn")
				syn = out[0].Data
				reply = exchange(j.self.addr, syn)
				t.Logf("known joiner: %d-byte Syn, %d-byte SynAck", len(syn), len(reply))
				require.Greater(t, len(reply), unknownReplyFactor*len(syn))
				require.LessOrEqual(t, len(reply), a.cfg.MaxPacketSize)
			})
		}
	}
}

func TestUnknownSynAckGetsBoundedAck(t *testing.T) {
	a := newNode(t, testConfig("a"), 1, BigMeta(400))
	b := newNode(t, testConfig("b"), 2, nil)
	now := T0
	// a opens an exchange with b, whom it does not know; b answers with a
	// small SynAck (a is unknown to b as well), whose digest asks for a.
	a.sendSyn(b.self.addr)
	out, _ := a.exchanges0(now)
	b.Receive(now, a.self.addr, out[0].Data)
	out, _ = b.exchanges0(now)
	require.Len(t, out, 1)
	synAck := out[0].Data
	a.Receive(now, b.self.addr, synAck)
	out, _ = a.exchanges0(now)
	require.Len(t, out, 1)
	require.LessOrEqual(t, len(out[0].Data), unknownReplyFactor*len(synAck))
}

// pass hands to's one datagram from from's output to it, and returns it.
func pass(t *testing.T, from, to *Engine, now time.Time) []byte {
	t.Helper()
	out, _ := from.exchanges0(now)
	require.Len(t, out, 1)
	require.Equal(t, to.self.addr, out[0].To)
	to.Receive(now, from.self.addr, out[0].Data)
	return out[0].Data
}

// With compression a delta carries several times more entries per
// datagram on compressible state.
func TestCompressionCarriesMoreEntriesPerDatagram(t *testing.T) {
	perDatagram := func(compress bool) float64 {
		cfg := func(id string) *Config {
			c := withKey(id, Key1)
			c.Compression = compress
			return c
		}
		a := newNode(t, cfg("host-1a2b3c4d"), 1, BigMeta(2000))
		b := newNode(t, cfg("host-5e6f7a8b"), 2, nil)
		now := T0
		// b joins a: Syn, SynAck, Ack. b is known to a from now on.
		b.joinNow(now, []string{a.self.addr})
		pass(t, b, a, now)
		pass(t, a, b, now)
		out, _ := b.exchanges0(now)
		require.Len(t, out, 1, "the Ack")
		a.Receive(now, b.self.addr, out[0].Data)
		out, _ = a.exchanges0(now)
		require.Empty(t, out, "the join exchange is over")
		require.NotNil(t, a.nodes[b.self.id])
		entries, datagrams := 0, 0
		for range 6 {
			b.sendSyn(a.self.addr)
			pass(t, b, a, now)
			out, _ = a.exchanges0(now)
			require.Len(t, out, 1)
			d := out[0].Data
			require.LessOrEqual(t, len(d), a.cfg.MaxPacketSize)
			hd, body, err := wire.ParseHeader(d)
			require.NoError(t, err)
			plain, err := b.sealer.Open(d[:len(d)-len(body)], hd.Flags, body)
			require.NoError(t, err)
			var m wire.SynAck
			require.NoError(t, wire.DecodeSynAck(plain, &m))
			for _, nd := range m.Delta.Nodes {
				entries += len(nd.Entries)
			}
			datagrams++
			b.Receive(now, a.self.addr, d)
			_, _ = b.exchanges0(now)
		}
		return float64(entries) / float64(datagrams)
	}
	off, on := perDatagram(false), perDatagram(true)
	t.Logf("entries per 1400-byte SynAck: %.0f uncompressed, %.0f compressed (%.1fx)", off, on, on/off)
	require.Greater(t, on, 2*off)
}

// A reply limit below even an empty reply (a tiny request to a node with a
// long ID) is met by not replying, also when the ratio estimate inflates
// the budget past it: fitting always terminates.
func TestTinyReplyLimitTerminates(t *testing.T) {
	for _, key := range [][]byte{nil, Key1} {
		rng := rand.New(rand.NewPCG(1, 2))
		id := make([]byte, MaxIDLength)
		for i := range id {
			id[i] = byte('!' + rng.IntN(94)) // incompressible
		}
		a := newNode(t, withKey(string(id), key), 1, BigMeta(50))
		a.sealer.SeedRatios(1, 8)
		s := NewTestSealer(t, key)
		syn := FrameDatagram(t, s, wire.MsgSyn, "default", wire.AppendSyn(nil, &wire.Syn{From: "x", Digest: wire.Digest{Complete: true}}), false)
		done := make(chan []Datagram)
		go func() {
			a.Receive(T0, "x:1", syn)
			out, _ := a.ready0(T0)
			done <- out
		}()
		select {
		case out := <-done:
			for _, m := range out {
				require.LessOrEqual(t, len(m.Data), unknownReplyFactor*len(syn))
			}
		case <-time.After(10 * time.Second):
			t.Fatal("fitting a reply did not terminate")
		}
	}
}

// msgType returns the message type of a datagram.
func msgType(t *testing.T, d []byte) wire.MsgType {
	t.Helper()
	h, _, err := wire.ParseHeader(d)
	require.NoError(t, err)
	return h.Type
}
