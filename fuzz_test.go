package scuttlebutt

import (
	"bytes"
	"runtime"
	"testing"

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
		c.SecretKey = key
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
func fuzzCore(tb testing.TB, key []byte, preload []byte, variant byte) *core {
	id := "fuzz"
	if variant&4 != 0 {
		id = longFuzzID
	}
	cfg := testConfig(id)
	cfg.SecretKey = key
	cfg.MaxPacketSize = 1400
	n, err := cfg.normalized()
	if err != nil {
		tb.Fatal(err)
	}
	c, err := newCore(n, coreParams{addr: "fuzz:7946", generation: 1, seed: 1, nonces: seededNonces(1)}, testNow)
	if err != nil {
		tb.Fatal(err)
	}
	if preload != nil {
		c.receive(testNow, "n001:7946", preload)
		_, _ = c.ready()
	}
	if r := variant & 3; r != 0 {
		for t := range c.sealer.ratios {
			c.sealer.ratios[t] = ratioOne >> r
		}
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
	_, _ = decompress(make([]byte, 0, 16), compress(nil, []byte("warm up")), 15)

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
				header := bytes.Clone(in[:len(in)-len(body)])
				header[3] = 0
				d, err := sealer.seal(header, body, h.Flags&wire.FlagCompressed != 0)
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
		c.receive(testNow, "n002:7946", data)
		runtime.ReadMemStats(&after)
		if got := after.TotalAlloc - before.TotalAlloc; got > allocBound(len(data)) {
			t.Fatalf("a %d-byte datagram allocated %d bytes (bound %d)", len(data), got, allocBound(len(data)))
		}
		s := c.snapshotStats(testNow)
		if s.PacketsReceived != 2 || s.DroppedOutgoing != 0 {
			t.Fatalf("stats: %+v", s)
		}
		// Whatever came in, the core still gossips within the limit.
		c.tick(testNow.Add(c.cfg.GossipInterval))
		out, _ := c.ready()
		for _, m := range out {
			if len(m.data) > c.cfg.MaxPacketSize {
				t.Fatalf("a %d-byte datagram", len(m.data))
			}
		}
	})
}

func FuzzDecompress(f *testing.F) {
	f.Add(compress(nil, []byte("service/http/port")), uint16(100))
	f.Add(compress(nil, make([]byte, 5000)), uint16(4000))
	f.Add([]byte{0x63, 0x60}, uint16(10))
	f.Add([]byte{}, uint16(0))
	f.Fuzz(func(t *testing.T, in []byte, limit uint16) {
		buf := make([]byte, 0, int(limit)+1)
		out, err := decompress(buf, in, int(limit))
		if err != nil {
			return
		}
		if len(out) > int(limit) {
			t.Fatalf("%d bytes out, limit %d", len(out), limit)
		}
		if len(out) > 0 && &out[0] != &buf[:1][0] {
			t.Fatal("decompress allocated its output")
		}
	})
}
