package gossip_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
	"github.com/scuttlego/scuttlebutt/internal/sim"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// encrypted configures encryption with Key1 (compression is on by default).
func encrypted(c *gossip.Config) { c.Keyring = gossip.NewTestKeyring(gossip.Key1) }

func dropped(s gossip.Stats) uint64 {
	return s.DroppedMalformed + s.DroppedAuth + s.DroppedClusterMismatch + s.DroppedOversize
}

// Every kind of bad datagram is dropped and counted under the right
// counter, nothing is answered, and the node keeps gossiping.
func TestHostileDatagramsAreDroppedAndCounted(t *testing.T) {
	for _, key := range [][]byte{nil, gossip.Key1} {
		t.Run(fmt.Sprintf("encrypted=%v", key != nil), func(t *testing.T) {
			s := newSim(3, 3, func(c *gossip.Config) { c.Keyring = gossip.NewTestKeyring(key) })
			startCluster(t, s, 3)
			within(t, s, 30, s.Converged)
			victim := s.Node(0).Engine()
			self, peer, peerAddr := s.Node(0).ID(), s.Node(1).ID(), s.Node(1).Addr()
			limit := gossip.DefaultMaxPacketSize
			member := gossip.NewTestSealer(t, key) // seals as a member would
			plain, wrong := gossip.NewTestSealer(t, nil), gossip.NewTestSealer(t, gossip.Key3)
			if key == nil {
				wrong = gossip.NewTestSealer(t, gossip.Key1)
			}
			frame := gossip.FrameDatagram
			valid := frame(t, member, wire.MsgAck, "default", wire.AppendAck(nil, &wire.Ack{From: peer}), false)
			bombBody := append(wire.AppendAck(nil, &wire.Ack{From: peer}), make([]byte, 4*limit)...)
			badVersion := bytes.Clone(valid)
			badVersion[1] = wire.Version + 1
			badMagic := bytes.Clone(valid)
			badMagic[0] ^= 0xff
			badType := bytes.Clone(valid)
			badType[2] = byte(wire.MaxMsgType) + 1
			unknownFlag := bytes.Clone(valid)
			unknownFlag[3] |= 0x40
			type hostile struct {
				name    string
				data    []byte
				counter func(gossip.Stats) uint64
			}
			malformed := func(s gossip.Stats) uint64 { return s.DroppedMalformed }
			cases := []hostile{
				{"oversize", make([]byte, limit+1), func(s gossip.Stats) uint64 { return s.DroppedOversize }},
				{"truncated header", valid[:3], malformed},
				{"empty", nil, malformed},
				{"bad magic", badMagic, malformed},
				{"wrong version", badVersion, malformed},
				{"unknown type", badType, malformed},
				{"unknown flag", unknownFlag, malformed},
				{"garbage body", frame(t, member, wire.MsgSyn, "default", []byte("\xc1garbage"), false), malformed},
				{"trailing bytes", frame(t, member, wire.MsgAck, "default", append(wire.AppendAck(nil, &wire.Ack{From: peer}), 0), false), malformed},
				{"corrupt compressed body", frame(t, member, wire.MsgAck, "default", []byte{0xff, 0xfe, 0xfd}, false), malformed},
				{"decompression bomb", frame(t, member, wire.MsgAck, "default", bombBody, true), func(s gossip.Stats) uint64 { return s.DroppedOversize }},
				{"wrong key or unexpected encryption", frame(t, wrong, wire.MsgAck, "default", wire.AppendAck(nil, &wire.Ack{From: peer}), false), func(s gossip.Stats) uint64 { return s.DroppedAuth }},
				{"from ourselves", frame(t, member, wire.MsgAck, "default", wire.AppendAck(nil, &wire.Ack{From: self}), false), malformed},
				{"wrong cluster", frame(t, member, wire.MsgAck, "other", wire.AppendAck(nil, &wire.Ack{From: peer}), false), func(s gossip.Stats) uint64 { return s.DroppedClusterMismatch }},
			}
			if key != nil {
				cases = append(cases, hostile{"plaintext", frame(t, plain, wire.MsgAck, "default", wire.AppendAck(nil, &wire.Ack{From: peer}), false), func(s gossip.Stats) uint64 { return s.DroppedAuth }})
			} else {
				// Without encryption a compressed flag on a plain body is a
				// corrupt compressed body.
				cases[9].data = bytes.Clone(cases[9].data)
				cases[9].data[3] |= wire.FlagCompressed
			}
			for _, tc := range cases {
				before := victim.Stats(s.Now())
				state := victim.DumpState()
				out, events := receive(t, s, 0, peerAddr, tc.data)
				after := victim.Stats(s.Now())
				require.Equal(t, before.PacketsReceived+1, after.PacketsReceived, tc.name)
				require.Equal(t, tc.counter(before)+1, tc.counter(after), "%s: counter", tc.name)
				require.Equal(t, dropped(before)+1, dropped(after), "%s: counted once", tc.name)
				require.Empty(t, out, "%s: answered", tc.name)
				require.Empty(t, events, tc.name)
				require.Equal(t, state, victim.DumpState(), tc.name)
			}
			// The valid datagram still works, and gossip goes on.
			before := dropped(victim.Stats(s.Now()))
			receive(t, s, 0, peerAddr, valid)
			require.Equal(t, before, dropped(victim.Stats(s.Now())))
			require.NoError(t, s.Set(2, "after", "attack"))
			within(t, s, 20, s.Converged)
		})
	}
}

// Datagrams carrying another cluster ID are dropped whatever their type; a
// Syn alone gets a bare WrongCluster header, no larger than itself.
func TestOtherClusterDroppedForEveryType(t *testing.T) {
	s := newSim(4, 2, nil)
	startCluster(t, s, 2)
	within(t, s, 20, s.Converged)
	other := newSim(5, 3, func(c *gossip.Config) { c.ClusterID = "other" })
	var captured [][]byte
	other.OnSend(func(_ *sim.Node, d gossip.Datagram) { captured = append(captured, bytes.Clone(d.Data)) })
	startCluster(t, other, 3)
	within(t, other, 20, other.Converged)
	require.NoError(t, other.Set(1, "k", "v"))
	run(t, other, 1)
	types := map[wire.MsgType]int{}
	victim := s.Node(0).Engine()
	for _, d := range captured {
		typ := wire.MsgType(d[2])
		types[typ]++
		before := victim.Stats(s.Now())
		state := victim.DumpState()
		out, events := receive(t, s, 0, "x:1", d)
		after := victim.Stats(s.Now())
		require.Equal(t, before.DroppedClusterMismatch+1, after.DroppedClusterMismatch, "type %d", typ)
		require.Empty(t, events)
		require.Equal(t, state, victim.DumpState())
		if typ == wire.MsgSyn && len(out) > 0 {
			require.Len(t, out, 1)
			require.Equal(t, byte(wire.MsgWrongCluster), out[0].Data[2])
			require.LessOrEqual(t, len(out[0].Data), len(d))
		} else {
			require.Empty(t, out, "type %d answered", typ)
		}
	}
	require.Positive(t, types[wire.MsgSyn])
	require.Positive(t, types[wire.MsgSynAck])
	require.Positive(t, types[wire.MsgAck])
}

// Joins through bounded replies still converge, also with encryption and
// small datagrams.
func TestEncryptedClusterConverges(t *testing.T) {
	s := newSim(12, 30, func(c *gossip.Config) {
		encrypted(c)
		c.MaxPacketSize = gossip.MinPacketSize
	})
	flags := map[uint8]int{}
	s.OnSend(func(_ *sim.Node, d gossip.Datagram) { flags[d.Data[3]]++ })
	startCluster(t, s, 30)
	for i := range 30 {
		require.NoError(t, s.Do(i, func(e *gossip.Engine, now time.Time) { require.NoError(t, e.SetAll(now, gossip.BigMeta(5+i))) }))
	}
	took := within(t, s, 100, s.Converged)
	t.Logf("30 encrypted nodes, 512-byte datagrams: converged in %s; flags %v", rounds(took), flags)
	for f := range flags {
		require.NotZero(t, f&wire.FlagEncrypted, "a datagram was not encrypted")
	}
	require.Positive(t, flags[wire.FlagEncrypted|wire.FlagCompressed])
	for _, n := range s.Nodes() {
		st := n.Engine().Stats(s.Now())
		require.Zero(t, dropped(st)+st.DroppedOutgoing, "%s dropped datagrams", n.ID())
	}
}

// Replayed datagrams change nothing: versions, heartbeats and generations
// only move forward, and a replay does not revive a dead node.
func TestReplayedDatagramsChangeNothing(t *testing.T) {
	s := newSim(14, 4, encrypted)
	type captured struct {
		from, to string
		data     []byte
	}
	var log []captured
	recording := false
	s.OnSend(func(n *sim.Node, d gossip.Datagram) {
		if recording {
			log = append(log, captured{n.Addr(), d.To, bytes.Clone(d.Data)})
		}
	})
	startCluster(t, s, 4)
	recording = true
	for r := range 10 {
		require.NoError(t, s.Set(r%4, fmt.Sprint("key", r%3), fmt.Sprint("v", r)))
		if r == 5 {
			s.Delete(1, "key0")
		}
		run(t, s, 1)
	}
	recording = false
	require.NotEmpty(t, log)
	for r := range 10 {
		require.NoError(t, s.Set(r%4, fmt.Sprint("key", r%3), fmt.Sprint("w", r)))
		run(t, s, 1)
	}
	within(t, s, 20, s.Converged)

	replay := func(filter func(captured) bool) {
		t.Helper()
		before := map[string]string{}
		for _, n := range s.Running() {
			before[n.ID()] = n.Engine().DumpState()
		}
		replayed := 0
		for _, m := range log {
			dst, ok := s.NodeByAddr(m.to)
			if !ok || !dst.Up() || !filter(m) {
				continue
			}
			_, events := receive(t, s, dst.Index(), m.from, m.data) // replies go nowhere
			require.Empty(t, events, "replay to %s caused events", dst.ID())
			replayed++
		}
		require.Positive(t, replayed)
		for _, n := range s.Running() {
			require.Equal(t, before[n.ID()], n.Engine().DumpState(), "replay changed %s", n.ID())
		}
	}
	replay(func(captured) bool { return true })

	// A node dies; replaying what it sent while alive does not revive it.
	s.Crash(3)
	x := s.Node(3).ID()
	within(t, s, 30, func() bool { return statusAll(s, []int{0, 1, 2}, x, "dead") })
	replay(func(m captured) bool { return m.from == s.Node(3).Addr() })
	require.True(t, statusAll(s, []int{0, 1, 2}, x, "dead"))
}

// Property: with compression and encryption, for random states (compressible
// and not) and limits from 512 to 65,507 bytes, no datagram exceeds the
// limit (the simulator checks every one), none is dropped, and the cluster
// converges.
func TestPropertyFitWithCompressionAndEncryption(t *testing.T) {
	limits := []int{512, 513, 600, 1400, 9000, 65507}
	for trial := range 10 {
		rng := rand.New(rand.NewPCG(uint64(trial), 7))
		limit := limits[trial%len(limits)]
		if trial >= len(limits) {
			limit = gossip.MinPacketSize + rng.IntN(gossip.MaxPacketSizeLimit-gossip.MinPacketSize+1)
		}
		nodes := 2 + rng.IntN(14)
		t.Run(fmt.Sprintf("limit=%d/nodes=%d", limit, nodes), func(t *testing.T) {
			s := newSim(uint64(trial), nodes, func(c *gossip.Config) {
				encrypted(c)
				c.MaxPacketSize = limit
			})
			compressed := 0
			s.OnSend(func(_ *sim.Node, d gossip.Datagram) {
				if d.Data[3]&wire.FlagCompressed != 0 {
					compressed++
				}
			})
			startCluster(t, s, nodes)
			for i := range nodes {
				e := s.Node(i).Engine()
				for k := range rng.IntN(20) {
					key := fmt.Sprintf("service/%s/key%d", e.Local().ID, k)
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
					for e.CheckEntry(key, v) != nil {
						v = v[:len(v)/2]
					}
					require.NoError(t, s.Set(i, key, v))
				}
			}
			within(t, s, 400, s.Converged)
			require.LessOrEqual(t, s.MaxDatagram(), limit)
			require.Positive(t, compressed)
			for _, n := range s.Nodes() {
				st := n.Engine().Stats(s.Now())
				require.Zero(t, dropped(st)+st.DroppedOutgoing, "%s dropped datagrams", n.ID())
			}
		})
	}
}
