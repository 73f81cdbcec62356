package gossip_test

import (
	"bytes"
	"compress/flate"
	"compress/lzw"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
	"github.com/scuttlego/scuttlebutt/internal/sim"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// The compression comparison recorded in BENCHMARKS.md (## Compression):
//
//	go test -run='^$' -bench=BenchmarkCompression -benchmem ./internal/gossip
//	go test -run=TestCompressionRatios -v ./internal/gossip
//
// Payloads are real message bodies built by converged cores holding
// realistic state: node IDs like "host-1a2b3c4d", addresses like
// "10.0.3.17:7946", keys like "service/http/port" and small values.

// realisticCluster returns the cores of a converged cluster of n nodes with
// realistic IDs, addresses and metadata, run in the simulator. limit is
// MaxPacketSize; compression is off so that the state spreads the same way
// for every candidate.
func realisticCluster(tb testing.TB, n, limit int) []*gossip.Engine {
	rng := rand.New(rand.NewPCG(5, 6))
	ids, addrs, metas := make([]string, n), make([]string, n), make([]map[string]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("host-%08x", rng.Uint32())
		addrs[i] = fmt.Sprintf("10.0.%d.%d:7946", i/200, 10+i%200)
		metas[i] = realisticMeta(rng, i)
	}
	s := sim.New(sim.Options{
		Nodes: n, Seed: 77,
		Config: configWith(func(c *gossip.Config) {
			c.MaxPacketSize = limit
			c.Compression = false
		}),
		Names: func(i int) (string, string) { return ids[i], addrs[i] },
	})
	require.NoError(tb, s.StartJoined(n, func(i int) map[string]string { return metas[i] }))
	within(tb, s, 300, s.Converged)
	// Generations (start times) and heartbeats as a long-running
	// deployment has them, not those of a cluster started together.
	var es []*gossip.Engine
	for _, nd := range s.Nodes() {
		es = append(es, nd.Engine())
	}
	for _, id := range ids {
		gen := uint64(s.Now().UnixNano()) - rng.Uint64N(uint64(30*24*time.Hour))
		hb := rng.Uint64N(3_000_000)
		for _, e := range es {
			e.Relabel(id, gen, hb)
		}
	}
	return es
}

func realisticMeta(rng *rand.Rand, i int) map[string]string {
	zones := []string{"us-east-1a", "us-east-1b", "us-east-1c"}
	return map[string]string{
		"service/http/port":    "8080",
		"service/grpc/port":    "9090",
		"service/metrics/port": "9100",
		"zone":                 zones[i%len(zones)],
		"version":              "1.14.2",
		"role":                 []string{"api", "worker", "cache"}[rng.IntN(3)],
		"load":                 fmt.Sprintf("%.2f", rng.Float64()),
		"started":              fmt.Sprint(1_700_000_000 + rng.IntN(100000)),
	}
}

// gossipBodies returns message bodies of about budget bytes each: digests
// (Syn), deltas for a joiner (SynAck) and deltas of recent updates (Ack).
func gossipBodies(tb testing.TB, budget int) map[string][][]byte {
	es := realisticCluster(tb, 60, 1400)
	out := map[string][][]byte{}
	for _, c := range es[:8] {
		self := c.Local().ID
		syn := wire.Syn{From: self}
		syn.Digest = c.BuildDigest(budget - wire.SynOverhead(syn.From))
		out["digest"] = append(out["digest"], wire.AppendSyn(nil, &syn))

		joiner := wire.Digest{Complete: true, Entries: []wire.DigestEntry{{ID: "host-deadbeef", Generation: 1}}}
		sa := wire.SynAck{From: self}
		sa.Delta = c.BuildDelta(&joiner, budget-wire.SynAckOverhead(sa.From)-60)
		sa.Digest = c.BuildDigest(budget - wire.SynAckOverhead(sa.From) - sa.Delta.Size())
		out["join delta"] = append(out["join delta"], wire.AppendSynAck(nil, &sa))

		// A peer that holds every node but misses the last few updates.
		stale := c.FullDigest()
		for i := range stale.Entries {
			e := &stale.Entries[i]
			e.MaxVersion = max(e.MaxVersion, 3) - 3
		}
		a := wire.Ack{From: self}
		a.Delta = c.BuildDelta(&stale, budget-wire.AckOverhead(a.From))
		out["update delta"] = append(out["update delta"], wire.AppendAck(nil, &a))
	}
	return out
}

// codecCandidate is one compression algorithm under comparison.
type codecCandidate struct {
	name       string
	compress   func(dst *bytes.Buffer, src []byte)
	decompress func(src []byte) ([]byte, error)
}

func flateCandidate(level int) codecCandidate {
	w, _ := flate.NewWriter(io.Discard, level)
	r := flate.NewReader(bytes.NewReader(nil))
	br := bytes.NewReader(nil)
	out := make([]byte, 0, 1<<20)
	return codecCandidate{
		name: fmt.Sprintf("flate level %d", level),
		compress: func(dst *bytes.Buffer, src []byte) {
			w.Reset(dst)
			_, _ = w.Write(src)
			_ = w.Close()
		},
		decompress: func(src []byte) ([]byte, error) {
			br.Reset(src)
			_ = r.(flate.Resetter).Reset(br, nil)
			b := bytes.NewBuffer(out[:0])
			_, err := b.ReadFrom(r)
			return b.Bytes(), err
		},
	}
}

func lzwCandidate() codecCandidate {
	w := lzw.NewWriter(io.Discard, lzw.LSB, 8).(*lzw.Writer)
	r := lzw.NewReader(bytes.NewReader(nil), lzw.LSB, 8).(*lzw.Reader)
	out := make([]byte, 0, 1<<20)
	return codecCandidate{
		name: "lzw LSB 8",
		compress: func(dst *bytes.Buffer, src []byte) {
			w.Reset(dst, lzw.LSB, 8)
			_, _ = w.Write(src)
			_ = w.Close()
		},
		decompress: func(src []byte) ([]byte, error) {
			r.Reset(bytes.NewReader(src), lzw.LSB, 8)
			b := bytes.NewBuffer(out[:0])
			_, err := b.ReadFrom(r)
			return b.Bytes(), err
		},
	}
}

// tinyLZ is a minimal byte-oriented LZ77 (LZ4-like, no entropy coding): a
// token byte (literal run length << 4 | match length - 4), varint
// extensions, literals, then a 2-byte offset; a 4 K-entry hash of 4-byte
// sequences finds matches. It is here only as a point of comparison.
func tinyLZCandidate() codecCandidate {
	var table [1 << 12]int32
	out := make([]byte, 0, 1<<20)
	return codecCandidate{
		name: "tiny LZ (hand-written)",
		compress: func(dst *bytes.Buffer, src []byte) {
			for i := range table {
				table[i] = -1
			}
			b := dst.AvailableBuffer()
			lit := 0
			emit := func(end, mlen, off int) {
				run := end - lit
				tok := byte(min(run, 15)) << 4
				if mlen > 0 {
					tok |= byte(min(mlen-4, 15))
				}
				b = append(b, tok)
				if run >= 15 {
					b = binary.AppendUvarint(b, uint64(run-15))
				}
				b = append(b, src[lit:end]...)
				if mlen > 0 {
					if mlen-4 >= 15 {
						b = binary.AppendUvarint(b, uint64(mlen-4-15))
					}
					b = binary.LittleEndian.AppendUint16(b, uint16(off))
				}
			}
			for i := 0; i+4 <= len(src); {
				v := binary.LittleEndian.Uint32(src[i:])
				hsh := (v * 2654435761) >> 20
				cand := int(table[hsh])
				table[hsh] = int32(i)
				if cand >= 0 && i-cand < 1<<16 && binary.LittleEndian.Uint32(src[cand:]) == v {
					m := 4
					for i+m < len(src) && src[cand+m] == src[i+m] {
						m++
					}
					emit(i, m, i-cand)
					i += m
					lit = i
					continue
				}
				i++
			}
			emit(len(src), 0, 0)
			dst.Write(b)
		},
		decompress: func(src []byte) ([]byte, error) {
			o := out[:0]
			for len(src) > 0 {
				tok := src[0]
				src = src[1:]
				run := int(tok >> 4)
				if run == 15 {
					v, n := binary.Uvarint(src)
					run += int(v)
					src = src[n:]
				}
				o = append(o, src[:run]...)
				src = src[run:]
				if len(src) == 0 {
					break
				}
				mlen := int(tok&15) + 4
				if mlen == 19 {
					v, n := binary.Uvarint(src)
					mlen += int(v)
					src = src[n:]
				}
				off := int(binary.LittleEndian.Uint16(src))
				src = src[2:]
				start := len(o) - off
				for k := range mlen {
					o = append(o, o[start+k])
				}
			}
			return o, nil
		},
	}
}

func compressionCandidates() []codecCandidate {
	return []codecCandidate{
		flateCandidate(flate.HuffmanOnly),
		flateCandidate(flate.BestSpeed),
		flateCandidate(4),
		flateCandidate(flate.DefaultCompression),
		flateCandidate(flate.BestCompression),
		lzwCandidate(),
		tinyLZCandidate(),
	}
}

// TestCompressionRatios prints the compressed/plain ratio of each candidate
// on each kind of payload, at the plain budget of a 1400-byte datagram and
// at four times that (what a compressed datagram may carry).
func TestCompressionRatios(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	for _, budget := range []int{1350, 4 * 1350} {
		bodies := gossipBodies(t, budget)
		for _, cand := range compressionCandidates() {
			line := fmt.Sprintf("budget %5d  %-24s", budget, cand.name)
			for _, kind := range []string{"digest", "join delta", "update delta"} {
				var plain, comp int
				for _, b := range bodies[kind] {
					var buf bytes.Buffer
					cand.compress(&buf, b)
					got, err := cand.decompress(buf.Bytes())
					if err != nil || !bytes.Equal(got, b) {
						t.Fatalf("%s: round trip failed: %v", cand.name, err)
					}
					plain += len(b)
					comp += buf.Len()
				}
				line += fmt.Sprintf("  %s %4d→%4d (%.2f)", kind, plain/len(bodies[kind]), comp/len(bodies[kind]), float64(comp)/float64(plain))
			}
			t.Log(line)
		}
	}
}

func BenchmarkCompression(b *testing.B) {
	for _, budget := range []int{1350, 4 * 1350} {
		bodies := gossipBodies(b, budget)
		for _, cand := range compressionCandidates() {
			for _, kind := range []string{"digest", "join delta"} {
				body := bodies[kind][0]
				var buf bytes.Buffer
				b.Run(fmt.Sprintf("budget=%d/%s/%s/compress", budget, kind, cand.name), func(b *testing.B) {
					b.SetBytes(int64(len(body)))
					for b.Loop() {
						buf.Reset()
						cand.compress(&buf, body)
					}
					b.ReportMetric(float64(buf.Len())/float64(len(body)), "ratio")
				})
				b.Run(fmt.Sprintf("budget=%d/%s/%s/decompress", budget, kind, cand.name), func(b *testing.B) {
					b.SetBytes(int64(len(body)))
					for b.Loop() {
						_, _ = cand.decompress(buf.Bytes())
					}
				})
			}
		}
	}
}

// BenchmarkCompressorMemory measures what one compressor costs to create:
// a core keeps one for its lifetime.
func BenchmarkCompressorMemory(b *testing.B) {
	for _, level := range []int{flate.HuffmanOnly, flate.BestSpeed, 4, flate.DefaultCompression, flate.BestCompression} {
		b.Run(fmt.Sprintf("flate level %d", level), func(b *testing.B) {
			for b.Loop() {
				w, _ := flate.NewWriter(io.Discard, level)
				_ = w
			}
		})
	}
	b.Run("flate reader", func(b *testing.B) {
		for b.Loop() {
			_ = flate.NewReader(bytes.NewReader(nil))
		}
	})
}
