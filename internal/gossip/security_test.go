package gossip

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

var (
	testKey1 = bytes.Repeat([]byte{1}, 16)
	testKey3 = bytes.Repeat([]byte{3}, 32)
	testNow  = time.Unix(1_700_000_000, 0)
)

// encConfig is testConfig with encryption (and compression, on by default).
func encConfig(id string) *Config {
	c := testConfig(id)
	c.Keyring = testKeyring(testKey1)
	return c
}

// testSealer returns a sealer with key (nil: none) for a 1400-byte limit.
func testSealer(t testing.TB, key []byte) *seal.Sealer {
	t.Helper()
	s, err := seal.New(seal.Config{MaxPacketSize: 1400, Keyring: testKeyring(key), Nonces: seal.SeededNonces(uint64(len(key)))})
	require.NoError(t, err)
	return s
}

// datagram frames body as a datagram of cluster with flags, sealed by s.
func datagram(t *testing.T, s *seal.Sealer, typ wire.MsgType, cluster string, body []byte, compressed bool) []byte {
	t.Helper()
	if compressed {
		body = seal.Compress(nil, body)
	}
	d, err := s.Seal(wire.Header{Type: typ, ClusterID: cluster}, body, compressed)
	require.NoError(t, err)
	return d
}

// Every kind of bad datagram is dropped and counted under the right
// counter, nothing is answered, and the node keeps gossiping.
func TestHostileDatagramsAreDroppedAndCounted(t *testing.T) {
	for _, key := range [][]byte{nil, testKey1} {
		t.Run(fmt.Sprintf("encrypted=%v", key != nil), func(t *testing.T) {
			h := newHarness(t, 3, func(id string) *Config {
				c := testConfig(id)
				c.Keyring = testKeyring(key)
				return c
			})
			ns := h.addMany(3)
			h.runUntil(30, h.converged)
			victim := ns[0].core
			s := victim.sealer // seals as a member would
			plain, wrong := testSealer(t, nil), testSealer(t, testKey3)
			if key == nil {
				wrong = testSealer(t, testKey1)
			}
			valid := datagram(t, s, wire.MsgAck, "default", wire.AppendAck(nil, &wire.Ack{From: "n001"}), false)
			bombBody := append(wire.AppendAck(nil, &wire.Ack{From: "n001"}), make([]byte, 4*victim.cfg.MaxPacketSize)...)
			badVersion := bytes.Clone(valid)
			badVersion[1] = wire.Version + 1
			badMagic := bytes.Clone(valid)
			badMagic[0] ^= 0xff
			badType := bytes.Clone(valid)
			badType[2] = 9
			unknownFlag := bytes.Clone(valid)
			unknownFlag[3] |= 0x40
			cases := []struct {
				name    string
				data    []byte
				counter func(Stats) uint64
			}{
				{"oversize", make([]byte, victim.cfg.MaxPacketSize+1), func(s Stats) uint64 { return s.DroppedOversize }},
				{"truncated header", valid[:3], func(s Stats) uint64 { return s.DroppedMalformed }},
				{"empty", nil, func(s Stats) uint64 { return s.DroppedMalformed }},
				{"bad magic", badMagic, func(s Stats) uint64 { return s.DroppedMalformed }},
				{"wrong version", badVersion, func(s Stats) uint64 { return s.DroppedMalformed }},
				{"unknown type", badType, func(s Stats) uint64 { return s.DroppedMalformed }},
				{"unknown flag", unknownFlag, func(s Stats) uint64 { return s.DroppedMalformed }},
				{"garbage body", datagram(t, s, wire.MsgSyn, "default", []byte("\xc1garbage"), false), func(s Stats) uint64 { return s.DroppedMalformed }},
				{"trailing bytes", datagram(t, s, wire.MsgAck, "default", append(wire.AppendAck(nil, &wire.Ack{From: "n001"}), 0), false), func(s Stats) uint64 { return s.DroppedMalformed }},
				{"corrupt compressed body", datagram(t, s, wire.MsgAck, "default", []byte{0xff, 0xfe, 0xfd}, false), func(s Stats) uint64 { return s.DroppedMalformed }},
				{"decompression bomb", datagram(t, s, wire.MsgAck, "default", bombBody, true), func(s Stats) uint64 { return s.DroppedOversize }},
				{"wrong key or unexpected encryption", datagram(t, wrong, wire.MsgAck, "default", wire.AppendAck(nil, &wire.Ack{From: "n001"}), false), func(s Stats) uint64 { return s.DroppedAuth }},
				{"from ourselves", datagram(t, s, wire.MsgAck, "default", wire.AppendAck(nil, &wire.Ack{From: "n000"}), false), func(s Stats) uint64 { return s.DroppedMalformed }},
				{"wrong cluster", datagram(t, s, wire.MsgAck, "other", wire.AppendAck(nil, &wire.Ack{From: "n001"}), false), func(s Stats) uint64 { return s.DroppedClusterMismatch }},
			}
			if key != nil {
				cases = append(cases, struct {
					name    string
					data    []byte
					counter func(Stats) uint64
				}{"plaintext", datagram(t, plain, wire.MsgAck, "default", wire.AppendAck(nil, &wire.Ack{From: "n001"}), false), func(s Stats) uint64 { return s.DroppedAuth }})
			} else {
				// Without encryption a compressed flag on a plain body is a
				// corrupt compressed body.
				cases[9].data = bytes.Clone(cases[9].data)
				cases[9].data[3] |= wire.FlagCompressed
			}
			for _, tc := range cases {
				before := victim.Stats(h.now)
				state := stateOf(victim)
				victim.Receive(h.now, "n001:7946", tc.data)
				out, events := victim.ready0(testNow)
				after := victim.Stats(h.now)
				require.Equal(t, before.PacketsReceived+1, after.PacketsReceived, tc.name)
				require.Equal(t, counter(tc.counter, before)+1, counter(tc.counter, after), "%s: counter", tc.name)
				require.Equal(t, dropped(before)+1, dropped(after), "%s: counted once", tc.name)
				require.Empty(t, out, "%s: answered", tc.name)
				require.Empty(t, events, tc.name)
				require.Equal(t, state, stateOf(victim), tc.name)
			}
			// The valid datagram still works, and gossip goes on.
			before := dropped(victim.Stats(h.now))
			victim.Receive(h.now, "n001:7946", valid)
			require.Equal(t, before, dropped(victim.Stats(h.now)))
			ns[2].core.set("after", "attack", h.now, 0)
			h.runUntil(20, h.converged)
		})
	}
}

func counter(f func(Stats) uint64, s Stats) uint64 { return f(s) }

func dropped(s Stats) uint64 {
	return s.DroppedMalformed + s.DroppedAuth + s.DroppedClusterMismatch + s.DroppedOversize
}

// stateOf renders everything a core believes about the cluster.
func stateOf(c *Engine) string {
	var b strings.Builder
	for _, id := range c.ids {
		n := c.nodes[id]
		fmt.Fprintf(&b, "%s %s g%d h%d v%d gc%d s%d:", id, n.addr, n.generation, n.heartbeat, n.maxVersion, n.gcVersion, n.status)
		for _, e := range n.sortedEntries() {
			fmt.Fprintf(&b, " %q=%q@%d/%d", e.key, e.value, e.version, e.status)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Datagrams carrying another cluster ID are dropped whatever their type; a
// Syn alone gets a bare WrongCluster header, no larger than itself.
func TestOtherClusterDroppedForEveryType(t *testing.T) {
	h := newHarness(t, 4, testConfig)
	ns := h.addMany(2)
	h.runUntil(20, h.converged)
	other := newHarness(t, 5, func(id string) *Config {
		c := testConfig(id)
		c.ClusterID = "other"
		return c
	})
	var captured []Datagram
	other.tap = func(_, _ string, data []byte) { captured = append(captured, Datagram{Data: bytes.Clone(data)}) }
	os := other.addMany(3)
	other.runUntil(20, other.converged)
	os[1].core.set("k", "v", other.now, 0)
	other.round()
	types := map[wire.MsgType]int{}
	victim := ns[0].core
	for _, m := range captured {
		typ := wire.MsgType(m.Data[2])
		types[typ]++
		before := victim.Stats(h.now)
		state := stateOf(victim)
		victim.Receive(h.now, "x:1", m.Data)
		out, events := victim.ready0(testNow)
		after := victim.Stats(h.now)
		require.Equal(t, before.DroppedClusterMismatch+1, after.DroppedClusterMismatch, "type %d", typ)
		require.Empty(t, events)
		require.Equal(t, state, stateOf(victim))
		if typ == wire.MsgSyn && len(out) > 0 {
			require.Len(t, out, 1)
			require.Equal(t, byte(wire.MsgWrongCluster), out[0].Data[2])
			require.LessOrEqual(t, len(out[0].Data), len(m.Data))
		} else {
			require.Empty(t, out, "type %d answered", typ)
		}
	}
	require.Positive(t, types[wire.MsgSyn])
	require.Positive(t, types[wire.MsgSynAck])
	require.Positive(t, types[wire.MsgAck])
}

// bigMeta returns n compressible keys.
func bigMeta(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("service/svc-%03d/port", i)] = fmt.Sprint(8000 + i%16)
	}
	return m
}

// A sender we do not know at its address gets a reply of at most four times
// its datagram; once known, it gets full datagrams.
func TestReplyToUnknownSenderIsBounded(t *testing.T) {
	for _, key := range [][]byte{nil, testKey1} {
		for _, compress := range []bool{false, true} {
			t.Run(fmt.Sprintf("encrypted=%v/compressed=%v", key != nil, compress), func(t *testing.T) {
				h := newHarness(t, 8, func(id string) *Config {
					c := testConfig(id)
					c.Keyring = testKeyring(key)
					c.Compression = compress
					return c
				})
				a := h.add("a", bigMeta(400))
				j := h.add("joiner", nil)

				exchange := func(from string, syn []byte) (reply []byte) {
					a.core.Receive(h.now, from, syn)
					out, _ := a.core.ready0(h.now)
					require.Len(t, out, 1)
					require.Equal(t, from, out[0].To)
					return out[0].Data
				}
				j.core.joinNow(h.now, []string{a.addr})
				out, _ := j.core.ready0(h.now)
				require.Len(t, out, 1)
				syn := out[0].Data
				reply := exchange(j.addr, syn)
				t.Logf("unknown joiner: %d-byte Syn, %d-byte SynAck", len(syn), len(reply))
				require.LessOrEqual(t, len(reply), unknownReplyFactor*len(syn))

				// A forger claiming a known ID from another address is
				// bounded too; so is an Ack to an unknown SynAck's sender.
				require.LessOrEqual(t, len(exchange("victim:1", syn)), unknownReplyFactor*len(syn))

				// The joiner's Ack makes it known; its next Syn gets a full
				// datagram.
				j.core.Receive(h.now, a.addr, reply)
				out, _ = j.core.ready0(h.now)
				require.Len(t, out, 1, "the joiner answers with its own state")
				a.core.Receive(h.now, j.addr, out[0].Data)
				_, _ = a.core.ready0(h.now)
				require.NotNil(t, a.core.nodes["joiner"], "the joiner is known after one exchange")
				j.core.sendSyn(a.addr)
				out, _ = j.core.ready0(h.now)
				syn = out[0].Data
				reply = exchange(j.addr, syn)
				t.Logf("known joiner: %d-byte Syn, %d-byte SynAck", len(syn), len(reply))
				require.Greater(t, len(reply), unknownReplyFactor*len(syn))
				require.LessOrEqual(t, len(reply), a.core.cfg.MaxPacketSize)
			})
		}
	}
}

func TestUnknownSynAckGetsBoundedAck(t *testing.T) {
	h := newHarness(t, 9, testConfig)
	a := h.add("a", bigMeta(400))
	b := h.add("b", nil)
	// a opens an exchange with b, whom it does not know; b answers with a
	// small SynAck (a is unknown to b as well), whose digest asks for a.
	a.core.sendSyn(b.addr)
	out, _ := a.core.ready0(h.now)
	b.core.Receive(h.now, a.addr, out[0].Data)
	out, _ = b.core.ready0(h.now)
	require.Len(t, out, 1)
	synAck := out[0].Data
	a.core.Receive(h.now, b.addr, synAck)
	out, _ = a.core.ready0(h.now)
	require.Len(t, out, 1)
	require.LessOrEqual(t, len(out[0].Data), unknownReplyFactor*len(synAck))
}

// Joins through bounded replies still converge, also with encryption and
// small datagrams.
func TestEncryptedClusterConverges(t *testing.T) {
	h := newHarness(t, 12, func(id string) *Config {
		c := encConfig(id)
		c.MaxPacketSize = MinPacketSize
		return c
	})
	flags := map[uint8]int{}
	h.tap = func(_, _ string, data []byte) { flags[data[3]]++ }
	ns := h.addMany(30)
	for i, n := range ns {
		for k, v := range bigMeta(5 + i) {
			n.core.set(k, v, h.now, 0)
		}
	}
	rounds := h.runUntil(100, h.converged)
	t.Logf("30 encrypted nodes, 512-byte datagrams: converged in %d rounds; flags %v", rounds, flags)
	for f := range flags {
		require.NotZero(t, f&wire.FlagEncrypted, "a datagram was not encrypted")
	}
	require.Positive(t, flags[wire.FlagEncrypted|wire.FlagCompressed])
	for _, n := range ns {
		s := n.core.Stats(h.now)
		require.Zero(t, dropped(s)+s.DroppedOutgoing, "%s dropped datagrams", n.id)
	}
}

// Replayed datagrams change nothing: versions, heartbeats and generations
// only move forward, and a replay does not revive a dead node.
func TestReplayedDatagramsChangeNothing(t *testing.T) {
	h := newHarness(t, 14, encConfig)
	type captured struct {
		from, to string
		data     []byte
	}
	var log []captured
	ns := h.addMany(4)
	h.tap = func(from, to string, data []byte) { log = append(log, captured{from, to, bytes.Clone(data)}) }
	for r := range 10 {
		ns[r%4].core.set(fmt.Sprint("key", r%3), fmt.Sprint("v", r), h.now, 0)
		if r == 5 {
			ns[1].core.del("key0", h.now)
		}
		h.round()
	}
	h.tap = nil
	require.NotEmpty(t, log)
	for r := range 10 {
		ns[r%4].core.set(fmt.Sprint("key", r%3), fmt.Sprint("w", r), h.now, 0)
		h.round()
	}
	h.runUntil(20, h.converged)

	replay := func(filter func(captured) bool) {
		t.Helper()
		for _, n := range ns {
			_, _ = n.core.ready0(h.now)
		}
		before := map[string]string{}
		for _, n := range ns {
			before[n.id] = stateOf(n.core)
		}
		replayed := 0
		for _, m := range log {
			dst := h.nodes[m.to]
			if dst == nil || dst.down || !filter(m) {
				continue
			}
			dst.core.Receive(h.now, m.from, m.data)
			_, events := dst.core.ready0(h.now) // replies go nowhere
			require.Empty(t, events, "replay to %s caused events", dst.id)
			replayed++
		}
		require.Positive(t, replayed)
		for _, n := range ns {
			require.Equal(t, before[n.id], stateOf(n.core), "replay changed %s", n.id)
		}
	}
	replay(func(captured) bool { return true })

	// A node dies; replaying what it sent while alive does not revive it.
	ns[3].down = true
	h.runUntil(30, func() bool {
		for _, n := range ns[:3] {
			if n.core.nodes["n003"].status != statusDead {
				return false
			}
		}
		return true
	})
	replay(func(m captured) bool { return m.from == ns[3].addr })
	for _, n := range ns[:3] {
		require.Equal(t, statusDead, n.core.nodes["n003"].status)
	}
}

// With compression a delta carries several times more entries per
// datagram on compressible state.
func TestCompressionCarriesMoreEntriesPerDatagram(t *testing.T) {
	perDatagram := func(compress bool) float64 {
		h := newHarness(t, 15, func(id string) *Config {
			c := encConfig(id)
			c.Compression = compress
			return c
		})
		a := h.add("host-1a2b3c4d", bigMeta(2000))
		b := h.add("host-5e6f7a8b", nil)
		b.core.joinNow(h.now, []string{a.addr})
		h.flushAll() // b is known to a from now on
		entries, datagrams := 0, 0
		for range 6 {
			b.core.sendSyn(a.addr)
			out, _ := b.core.ready0(h.now)
			a.core.Receive(h.now, b.addr, out[0].Data)
			out, _ = a.core.ready0(h.now)
			require.Len(t, out, 1)
			d := out[0].Data
			require.LessOrEqual(t, len(d), a.core.cfg.MaxPacketSize)
			hd, body, err := wire.ParseHeader(d)
			require.NoError(t, err)
			plain, err := b.core.sealer.Open(d[:len(d)-len(body)], hd.Flags, body)
			require.NoError(t, err)
			var m wire.SynAck
			require.NoError(t, wire.DecodeSynAck(plain, &m))
			for _, nd := range m.Delta.Nodes {
				entries += len(nd.Entries)
			}
			datagrams++
			b.core.Receive(h.now, a.addr, d)
			_, _ = b.core.ready0(h.now)
		}
		return float64(entries) / float64(datagrams)
	}
	off, on := perDatagram(false), perDatagram(true)
	t.Logf("entries per 1400-byte SynAck: %.0f uncompressed, %.0f compressed (%.1fx)", off, on, on/off)
	require.Greater(t, on, 2*off)
}

// Property: with compression and encryption, for random states (compressible
// and not) and limits from 512 to 65,507 bytes, no datagram exceeds the
// limit (the harness checks every one), none is dropped, and the cluster
// converges.
func TestPropertyFitWithCompressionAndEncryption(t *testing.T) {
	limits := []int{512, 513, 600, 1400, 9000, 65507}
	for trial := range 10 {
		rng := rand.New(rand.NewPCG(uint64(trial), 7))
		limit := limits[trial%len(limits)]
		if trial >= len(limits) {
			limit = MinPacketSize + rng.IntN(MaxPacketSizeLimit-MinPacketSize+1)
		}
		nodes := 2 + rng.IntN(14)
		t.Run(fmt.Sprintf("limit=%d/nodes=%d", limit, nodes), func(t *testing.T) {
			h := newHarness(t, uint64(trial), func(id string) *Config {
				c := encConfig(id)
				c.MaxPacketSize = limit
				return c
			})
			compressed := 0
			h.tap = func(_, _ string, d []byte) {
				if d[3]&wire.FlagCompressed != 0 {
					compressed++
				}
			}
			ns := h.addMany(nodes)
			for _, n := range ns {
				for k := range rng.IntN(20) {
					key := fmt.Sprintf("service/%s/key%d", n.id, k)
					var v string
					switch rng.IntN(4) {
					case 0: // compressible
						v = strings.Repeat("ab", rng.IntN(limit/2))
					case 1: // incompressible
						b := make([]byte, rng.IntN(limit/2))
						for i := range b {
							b[i] = byte(rng.Uint32())
						}
						v = string(b)
					default: // small
						v = fmt.Sprint(rng.IntN(100000))
					}
					for n.core.checkEntry(key, v) != nil {
						v = v[:len(v)/2]
					}
					n.core.set(key, v, h.now, 0)
				}
			}
			h.runUntil(400, h.converged)
			require.LessOrEqual(t, h.largest, limit)
			require.Positive(t, compressed)
			for _, n := range ns {
				s := n.core.Stats(h.now)
				require.Zero(t, dropped(s)+s.DroppedOutgoing, "%s dropped datagrams", n.id)
			}
		})
	}
}

// A reply limit below even an empty reply (a tiny request to a node with a
// long ID) is met by not replying, also when the ratio estimate inflates
// the budget past it: fitting always terminates.
func TestTinyReplyLimitTerminates(t *testing.T) {
	for _, key := range [][]byte{nil, testKey1} {
		h := newHarness(t, 16, func(id string) *Config {
			c := testConfig(id)
			c.Keyring = testKeyring(key)
			return c
		})
		rng := rand.New(rand.NewPCG(1, 2))
		id := make([]byte, MaxIDLength)
		for i := range id {
			id[i] = byte('!' + rng.IntN(94)) // incompressible
		}
		a := h.add(string(id), bigMeta(50))
		a.core.sealer.SeedRatios(1, 8)
		s := testSealer(t, key)
		syn := datagram(t, s, wire.MsgSyn, "default", wire.AppendSyn(nil, &wire.Syn{From: "x", Digest: wire.Digest{Complete: true}}), false)
		done := make(chan []Datagram)
		go func() {
			a.core.Receive(h.now, "x:1", syn)
			out, _ := a.core.ready0(h.now)
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
