package wire

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/stretchr/testify/require"
)

// pool is the source of random strings: a fixed pseudo-random byte string
// longer than the str16 limit, sliced at random offsets.
var pool = func() string {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, 70000)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	return string(b)
}()

// gen makes random messages whose string lengths, integers and element
// counts often sit on either side of a msgpack format boundary.
type gen struct {
	r *rand.Rand
}

func newGen(seed uint64) *gen { return &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))} }

var (
	strBoundaries   = []int{0, 1, 30, 31, 32, 33, 254, 255, 256, 257}
	bigStrLens      = []int{65534, 65535, 65536, 65537}
	uintBoundaries  = []uint64{0, 1, 126, 127, 128, 254, 255, 256, 65534, 65535, 65536, 1<<32 - 2, 1<<32 - 1, 1 << 32, math.MaxUint64 - 1, math.MaxUint64}
	countBoundaries = []int{0, 1, 14, 15, 16, 17}
)

func (g *gen) strLen() int {
	switch n := g.r.IntN(1000); {
	case n < 2:
		return bigStrLens[g.r.IntN(len(bigStrLens))]
	case n < 400:
		return strBoundaries[g.r.IntN(len(strBoundaries))]
	default:
		return g.r.IntN(40)
	}
}

func (g *gen) str() string {
	n := g.strLen()
	off := g.r.IntN(len(pool) - n + 1)
	return pool[off : off+n]
}

func (g *gen) uint() uint64 {
	if g.r.IntN(2) == 0 {
		return uintBoundaries[g.r.IntN(len(uintBoundaries))]
	}
	return g.r.Uint64() >> g.r.IntN(64)
}

// count returns an element count and whether a zero count should be a nil
// slice rather than an empty one.
func (g *gen) count() (int, bool) {
	n := g.r.IntN(18)
	if g.r.IntN(2) == 0 {
		n = countBoundaries[g.r.IntN(len(countBoundaries))]
	}
	return n, g.r.IntN(2) == 0
}

func (g *gen) digest() Digest {
	n, isNil := g.count()
	d := Digest{Complete: g.r.IntN(2) == 0}
	if n > 0 || !isNil {
		d.Entries = make([]DigestEntry, n)
	}
	for i := range d.Entries {
		d.Entries[i] = DigestEntry{ID: g.str(), Generation: g.uint(), Flags: g.uint(), MaxVersion: g.uint(), GCVersion: g.uint()}
	}
	return d
}

func (g *gen) entry() Entry {
	status := uint8(g.r.IntN(3))
	return Entry{Key: g.str(), Value: g.str(), Version: g.uint(), Status: status}
}

func (g *gen) nodeDelta() NodeDelta {
	nd := NodeDelta{
		ID: g.str(), Addr: g.str(), Generation: g.uint(), Flags: g.uint(),
		FromVersion: g.uint(), MaxVersion: g.uint(), GCVersion: g.uint(), Reset: g.r.IntN(2) == 0,
	}
	n, isNil := g.count()
	if n > 0 || !isNil {
		nd.Entries = make([]Entry, n)
	}
	for i := range nd.Entries {
		nd.Entries[i] = g.entry()
	}
	return nd
}

func (g *gen) delta() Delta {
	var d Delta
	n, isNil := g.count()
	if n > 3 && g.r.IntN(4) != 0 {
		n = 3 // keep most deltas small; the counts still cross 15/16 often
	}
	if n > 0 || !isNil {
		d.Nodes = make([]NodeDelta, n)
	}
	for i := range d.Nodes {
		d.Nodes[i] = g.nodeDelta()
	}
	return d
}

func (g *gen) syn() Syn       { return Syn{From: g.str(), Digest: g.digest()} }
func (g *gen) synAck() SynAck { return SynAck{From: g.str(), Digest: g.digest(), Delta: g.delta()} }
func (g *gen) ack() Ack       { return Ack{From: g.str(), Delta: g.delta()} }

// msgpackEncode encodes v with go-msgpack and the package's handle: the
// reference the hand encoder must match byte for byte.
func msgpackEncode(t testing.TB, v any) []byte {
	t.Helper()
	var b []byte
	require.NoError(t, codec.NewEncoderBytes(&b, handle).Encode(v))
	return b
}

// Normalisation: nil and empty slices decode differently (msgpack nil and
// an empty array) but mean the same, so comparisons make both nil.

func normDigest(d Digest) Digest {
	if len(d.Entries) == 0 {
		d.Entries = nil
	}
	return d
}

func normDelta(d Delta) Delta {
	if len(d.Nodes) == 0 {
		return Delta{}
	}
	nodes := make([]NodeDelta, len(d.Nodes))
	copy(nodes, d.Nodes)
	for i := range nodes {
		if len(nodes[i].Entries) == 0 {
			nodes[i].Entries = nil
		}
	}
	d.Nodes = nodes
	return d
}

func normSyn(m Syn) Syn {
	m.Digest = normDigest(m.Digest)
	return m
}

func normSynAck(m SynAck) SynAck {
	m.Digest = normDigest(m.Digest)
	m.Delta = normDelta(m.Delta)
	return m
}

func normAck(m Ack) Ack {
	m.Delta = normDelta(m.Delta)
	return m
}
