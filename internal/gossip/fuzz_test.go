package gossip

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/scuttlego/scuttlebutt/internal/seal"
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

// fuzzCluster returns datagrams of a small converged cluster, with and
// without a key, to seed the corpus and to preload fuzzed cores.
func fuzzCluster(tb testing.TB, key []byte) (datagrams [][]byte) {
	h := newHarness(tb, 1, func(id string) *Config {
		c := testConfig(id)
		c.Keyring = testKeyring(key)
		c.MaxPacketSize = 1400
		return c
	})
	h.tap = func(_, _ string, d []byte) { datagrams = append(datagrams, bytes.Clone(d)) }
	ns := h.addMany(3)
	for i, n := range ns {
		for k, v := range bigMeta(10 + 20*i) {
			n.core.set(k, v, h.now, 0)
		}
	}
	h.runUntil(30, h.converged)
	ns[1].core.del("service/svc-001/port", h.now)
	h.round()
	if len(datagrams) == 0 {
		tb.Fatal("no datagrams captured")
	}
	return datagrams
}

// longFuzzID is an incompressible ID of the longest length allowed.
var longFuzzID = func() string {
	b := make([]byte, MaxIDLength)
	for i := range b {
		b[i] = byte('!' + (i*37+i*i*11)%94)
	}
	return string(b)
}()

// fuzzCore returns a fresh core (cluster "default") with a key or not, which
// already knows node n001 from a valid Ack, so that deltas and digests about
// known nodes reach deeper code. variant picks its ID ("fuzz" or a long
// one) and its compression ratio estimates (none yet, or a learnt ratio
// from 1/2 to 1/8), so that inflated budgets are fuzzed too.
func fuzzCore(tb testing.TB, key []byte, preload []byte, variant byte) *Engine {
	id := "fuzz"
	if variant&4 != 0 {
		id = longFuzzID
	}
	cfg := testConfig(id)
	cfg.Keyring = testKeyring(key)
	cfg.MaxPacketSize = 1400
	c := newTestEngine(tb, cfg, "fuzz:7946", 1, 1, testNow)
	if preload != nil {
		c.Receive(testNow, "n001:7946", preload)
		_ = c.Ready()
	}
	if r := variant & 3; r != 0 {
		c.sealer.SeedRatios(1, 1<<r)
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
	encDs := fuzzCluster(f, testKey1)
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

	sealer := testSealer(f, testKey1)
	f.Fuzz(func(t *testing.T, mode byte, in []byte) {
		key, pre := []byte(nil), plainPre
		if mode%fuzzModes != fuzzPlain {
			key, pre = testKey1, encPre
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
		c.Receive(testNow, "n002:7946", data)
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > allocBound(len(data)) {
			t.Fatalf("a %d-byte datagram allocated %d bytes (bound %d)", len(data), got, allocBound(len(data)))
		}
		s := c.Stats(testNow)
		if s.PacketsReceived != 2 || s.DroppedOutgoing != 0 {
			t.Fatalf("stats: %+v", s)
		}
		// Whatever came in, the core still gossips within the limit.
		c.Tick(testNow.Add(c.cfg.GossipInterval))
		out := c.Ready().Datagrams
		for _, m := range out {
			if len(m.Data) > c.cfg.MaxPacketSize {
				t.Fatalf("a %d-byte datagram", len(m.Data))
			}
		}
	})
}
