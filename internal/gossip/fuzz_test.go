package gossip_test

import (
	"bytes"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/sim"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Fuzz targets for the whole receive path. The corpus of interesting inputs
// is kept in testdata/fuzz/<target>; CI runs each target briefly.

// Receive modes: which core gets the input, and how.
const (
	fuzzPlain     = iota // raw bytes to a core without a key
	fuzzEncrypted        // raw bytes to a core with a key
	fuzzSealed           // bytes parsed as header and body, sealed with the key, to a core with the key
	fuzzModes
)

// fuzzLimit is the MaxPacketSize of fuzzed cores and of the cluster whose
// datagrams seed the corpus.
const fuzzLimit = 1400

// fuzzCluster returns every datagram a small cluster sent on its way to
// converging (cluster "default", with a key or not), to seed the corpus
// and to preload fuzzed cores.
func fuzzCluster(tb testing.TB, key []byte) (datagrams [][]byte) {
	s := newSim(1, 3, func(c *gossip.Config) {
		c.Keyring = gossip.NewTestKeyring(key)
		c.MaxPacketSize = fuzzLimit
	})
	s.OnSend(func(_ *sim.Node, d gossip.Datagram) { datagrams = append(datagrams, bytes.Clone(d.Data)) })
	startCluster(tb, s, 3)
	for i := range 3 {
		require.NoError(tb, s.Do(i, func(e *gossip.Engine, now time.Time) { require.NoError(tb, e.SetAll(now, gossip.BigMeta(10+20*i))) }))
	}
	within(tb, s, 30, s.Converged)
	s.Delete(1, "service/svc-001/port")
	run(tb, s, 1)
	if len(datagrams) == 0 {
		tb.Fatal("no datagrams captured")
	}
	return datagrams
}

// longFuzzID is an incompressible ID of the longest length allowed.
var longFuzzID = func() string {
	b := make([]byte, gossip.MaxIDLength)
	for i := range b {
		b[i] = byte('!' + (i*37+i*i*11)%94)
	}
	return string(b)
}()

// fuzzCore returns a fresh core (cluster "default") with a key or not, which
// already knows the cluster's nodes from a valid Ack (received from
// n0001's address), so that deltas and digests about known nodes reach
// deeper code. variant
// picks its ID ("fuzz" or a long one) and its compression ratio estimates
// (none yet, or a learnt ratio from 1/2 to 1/8), so that inflated budgets
// are fuzzed too.
func fuzzCore(tb testing.TB, key []byte, preload []byte, variant byte) *gossip.Engine {
	id := "fuzz"
	if variant&4 != 0 {
		id = longFuzzID
	}
	cfg := configWith(func(c *gossip.Config) {
		c.Keyring = gossip.NewTestKeyring(key)
		c.MaxPacketSize = fuzzLimit
	})(id)
	c, err := gossip.New(cfg, gossip.Params{Addr: "fuzz:7946", Generation: 1, Seed: 1, Nonces: seal.SeededNonces(1), Now: gossip.T0})
	require.NoError(tb, err)
	if preload != nil {
		c.Receive(gossip.T0, "n0001:7946", preload)
		_ = c.Ready()
	}
	if r := variant & 3; r != 0 {
		c.SeedRatios(1, 1<<r)
	}
	return c
}

// allocBound is the most receiving one datagram of n bytes may allocate:
// decoding a body of up to maxExpansion × 1400 bytes, the state it adds,
// and a reply of up to 1400 bytes built from a budget of up to
// maxExpansion × 1400 bytes. It is independent of anything but the
// configured limit and the input size.
func allocBound(n int) uint64 { return 128<<10 + 32*uint64(n) }

func FuzzReceive(f *testing.F) {
	plainDs := fuzzCluster(f, nil)
	encDs := fuzzCluster(f, gossip.Key1)
	// A preload: the first Ack carrying state, per kind.
	preload := func(ds [][]byte) []byte {
		for _, d := range ds {
			if wire.MsgType(d[2]) == wire.MsgAck {
				return d
			}
		}
		return nil
	}
	plainPre, encPre := preload(plainDs), preload(encDs)
	for i, d := range plainDs {
		if i%7 == 0 {
			f.Add(byte(fuzzPlain), d)
		}
	}
	for i, d := range encDs {
		if i%7 == 0 {
			f.Add(byte(fuzzEncrypted), d)
		}
	}
	// Plain datagrams, sealed by the target: valid on the encrypted core.
	for i, d := range plainDs {
		if i%11 == 0 {
			f.Add(byte(fuzzSealed), d)
		}
	}
	// A tiny Syn from an unknown sender, answered within a limit below an
	// empty reply by a long-ID core whose estimates inflate the budget.
	h := wire.Header{Type: wire.MsgSyn, ClusterID: "default"}
	tiny := wire.AppendSyn(wire.AppendHeader(nil, &h), &wire.Syn{From: "x", Digest: wire.Digest{Complete: true}})
	for m := range fuzzModes {
		f.Add(byte(7*fuzzModes+m), tiny)
	}
	f.Add(byte(fuzzPlain), []byte{})
	f.Add(byte(fuzzPlain), []byte{wire.Magic, wire.Version, byte(wire.MsgSyn), 0, 0})
	f.Add(byte(fuzzSealed), []byte{wire.Magic, wire.Version, byte(wire.MsgAck), wire.FlagCompressed, 7, 'd', 'e', 'f', 'a', 'u', 'l', 't', 0x63, 0x60})

	// Warm up the shared compressor and decompressor, allocated once per
	// process, so that they do not count against the first input.
	seal.WarmUp()

	sealer := gossip.NewTestSealer(f, gossip.Key1)
	f.Fuzz(func(t *testing.T, mode byte, in []byte) {
		key, pre := []byte(nil), plainPre
		if mode%fuzzModes != fuzzPlain {
			key, pre = gossip.Key1, encPre
		}
		c := fuzzCore(t, key, pre, mode/fuzzModes)
		data := in
		if mode%fuzzModes == fuzzSealed {
			if h, body, err := wire.ParseHeader(in); err == nil {
				d, err := sealer.Seal(h, body, h.Flags&wire.FlagCompressed != 0)
				if err != nil {
					t.Fatal(err)
				}
				d[3] |= h.Flags &^ (wire.FlagCompressed | wire.FlagEncrypted)
				if d[3] != h.Flags|wire.FlagEncrypted {
					return // other flags would break authentication
				}
				data = d
			}
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c.Receive(gossip.T0, "n0002:7946", data)
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > allocBound(len(data)) {
			t.Fatalf("a %d-byte datagram allocated %d bytes (bound %d)", len(data), got, allocBound(len(data)))
		}
		s := c.Stats(gossip.T0)
		if s.PacketsReceived != 2 || s.DroppedOutgoing != 0 {
			t.Fatalf("stats: %+v", s)
		}
		// Whatever came in, the core still gossips within the limit.
		c.Tick(gossip.T0.Add(interval))
		out := c.Ready().Datagrams
		for _, m := range out {
			if len(m.Data) > fuzzLimit {
				t.Fatalf("a %d-byte datagram", len(m.Data))
			}
		}
	})
}
