package wire

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Ranges against the reference codec: the hand encoder writes what
// go-msgpack writes, Size is exact, and both decoders give the message
// back.

func (g *gen) rangeList() []Range {
	n, isNil := g.count()
	if n == 0 && isNil {
		return nil
	}
	rs := make([]Range, n)
	for i := range rs {
		rs[i] = Range{Depth: g.uint(), Prefix: g.uint(), Nodes: g.uint(), Fingerprint: g.uint()}
	}
	return rs
}

func (g *gen) ranges() Ranges {
	return Ranges{From: g.str(), Generation: g.uint(), Ranges: g.rangeList(), Covered: g.rangeList(), Digest: g.digest()}
}

func TestRangesMatchGoMsgpack(t *testing.T) {
	g := newGen(9)
	for i := range 300 {
		m := g.ranges()
		b := checkSmall(t, i, &m, AppendRanges, DecodeRanges, m.Size())
		var got Ranges
		require.NoError(t, DecodeRanges(b, &got))
		require.Equal(t, normDigest(m.Digest), normDigest(got.Digest))
		require.Len(t, got.Ranges, len(m.Ranges))
		require.Len(t, got.Covered, len(m.Covered))
	}
}

func TestRangesOverhead(t *testing.T) {
	m := Ranges{From: "node-0042", Generation: 1 << 62, Ranges: make([]Range, 17), Covered: make([]Range, 3)}
	size := RangesOverhead(m.From, m.Generation, 17, 3) + m.Digest.Size() + 20*m.Ranges[0].Size()
	require.Equal(t, m.Size(), size)
	require.Len(t, AppendRanges(nil, &m), size)
}

func FuzzDecodeRanges(f *testing.F) {
	g := newGen(10)
	for range 8 {
		m := g.ranges()
		f.Add(AppendRanges(nil, &m))
	}
	for _, b := range hostileSeeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !checkMatchesGoMsgpack(t, in, DecodeRanges) {
			return
		}
		var m Ranges
		require.NoError(t, DecodeRanges(in, &m))
		b := AppendRanges(nil, &m)
		require.Equal(t, m.Size(), len(b))
		var m2 Ranges
		require.NoError(t, DecodeRanges(b, &m2))
		require.Equal(t, m, m2)
	})
}
