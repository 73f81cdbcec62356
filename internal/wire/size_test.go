package wire

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUintSize(t *testing.T) {
	cases := []struct {
		v    uint64
		size int
	}{
		{0, 1}, {127, 1}, {128, 2}, {255, 2}, {256, 3}, {65535, 3}, {65536, 5},
		{1<<32 - 1, 5}, {1 << 32, 9}, {math.MaxUint64, 9},
	}
	for _, c := range cases {
		require.Equal(t, c.size, UintSize(c.v), "UintSize(%d)", c.v)
		require.Len(t, appendUint(nil, c.v), c.size, "appendUint(%d)", c.v)
		require.Len(t, msgpackEncode(t, c.v), c.size, "go-msgpack %d", c.v)
	}
}

func TestStrSize(t *testing.T) {
	cases := []struct{ n, size int }{
		{0, 1}, {31, 32}, {32, 34}, {255, 257}, {256, 259}, {65535, 65538}, {65536, 65541},
	}
	for _, c := range cases {
		s := pool[:c.n]
		require.Equal(t, c.size, StrSize(c.n), "StrSize(%d)", c.n)
		require.Len(t, appendStr(nil, s), c.size, "appendStr(%d)", c.n)
		require.Len(t, msgpackEncode(t, s), c.size, "go-msgpack string of %d", c.n)
	}
}

func TestArrayHeaderSize(t *testing.T) {
	cases := []struct{ n, size int }{{0, 1}, {15, 1}, {16, 3}, {65535, 3}, {65536, 5}}
	for _, c := range cases {
		require.Equal(t, c.size, ArrayHeaderSize(c.n), "ArrayHeaderSize(%d)", c.n)
		require.Len(t, appendArrayHeader(nil, c.n), c.size, "appendArrayHeader(%d)", c.n)
		require.Len(t, msgpackEncode(t, make([]bool, c.n)), c.size+c.n*BoolSize, "go-msgpack array of %d", c.n)
	}
	require.Len(t, msgpackEncode(t, []bool(nil)), ArrayHeaderSize(0), "nil slice")
}

// Size() of every message equals the length of its encoding, and the
// parts add up: overheads plus element sizes.
func TestSizeMatchesEncoding(t *testing.T) {
	g := newGen(10)
	for i := range randomMessages {
		syn, synAck, ack := g.syn(), g.synAck(), g.ack()
		require.Equal(t, len(AppendSyn(nil, &syn)), syn.Size(), "syn %d", i)
		require.Equal(t, len(AppendSynAck(nil, &synAck)), synAck.Size(), "synack %d", i)
		require.Equal(t, len(AppendAck(nil, &ack)), ack.Size(), "ack %d", i)

		require.Equal(t, SynOverhead(syn.From)+syn.Digest.Size(), syn.Size())
		require.Equal(t, SynAckOverhead(synAck.From)+synAck.Digest.Size()+synAck.Delta.Size(), synAck.Size())
		require.Equal(t, AckOverhead(ack.From)+ack.Delta.Size(), ack.Size())

		checkDigestParts(t, &syn.Digest)
		checkDigestParts(t, &synAck.Digest)
		checkDeltaParts(t, &synAck.Delta)
		checkDeltaParts(t, &ack.Delta)
	}
}

func checkDigestParts(t *testing.T, d *Digest) {
	t.Helper()
	sum := DigestOverhead(len(d.Entries))
	for i := range d.Entries {
		e := &d.Entries[i]
		require.Equal(t, len(appendDigestEntry(nil, e)), e.Size())
		sum += e.Size()
	}
	require.Equal(t, len(appendDigest(nil, d)), sum)
	require.Equal(t, sum, d.Size())
}

func checkDeltaParts(t *testing.T, d *Delta) {
	t.Helper()
	sum := DeltaOverhead(len(d.Nodes))
	for i := range d.Nodes {
		nd := &d.Nodes[i]
		ndSum := nd.FixedSize() + ArrayHeaderSize(len(nd.Entries))
		for j := range nd.Entries {
			e := &nd.Entries[j]
			require.Equal(t, len(appendEntry(nil, e)), e.Size())
			ndSum += e.Size()
		}
		require.Equal(t, len(appendNodeDelta(nil, nd)), ndSum)
		require.Equal(t, ndSum, nd.Size())
		sum += ndSum
	}
	require.Equal(t, len(appendDelta(nil, d)), sum)
	require.Equal(t, sum, d.Size())
}

// A builder fills a message one element at a time, predicting the size
// after each addition from the previous one: header growth from fixarray
// to array16 included. Check the prediction against the encoding at every
// step.
func TestSizeIncrementalAccounting(t *testing.T) {
	g := newGen(11)
	for range 40 {
		// Digest entries in a Syn.
		syn := Syn{From: g.str()}
		size := SynOverhead(syn.From) + DigestOverhead(0)
		for k := range 20 {
			e := DigestEntry{ID: g.str(), Generation: g.uint(), Flags: g.uint(), MaxVersion: g.uint(), GCVersion: g.uint()}
			size += ArrayHeaderSize(k+1) - ArrayHeaderSize(k) + e.Size()
			syn.Digest.Entries = append(syn.Digest.Entries, e)
			require.Equal(t, len(AppendSyn(nil, &syn)), size, "syn with %d entries", k+1)
		}

		// Node deltas in an Ack, and entries in its last node delta.
		ack := Ack{From: g.str()}
		size = AckOverhead(ack.From) + DeltaOverhead(0)
		for k := range 18 {
			nd := NodeDelta{ID: g.str(), Addr: g.str(), Generation: g.uint(), Flags: g.uint(),
				FromVersion: g.uint(), MaxVersion: g.uint(), GCVersion: g.uint(), Reset: k%2 == 0}
			size += ArrayHeaderSize(k+1) - ArrayHeaderSize(k) + nd.FixedSize() + ArrayHeaderSize(0)
			ack.Delta.Nodes = append(ack.Delta.Nodes, nd)
			require.Equal(t, len(AppendAck(nil, &ack)), size, "ack with %d nodes", k+1)
		}
		last := &ack.Delta.Nodes[len(ack.Delta.Nodes)-1]
		for k := range 20 {
			e := g.entry()
			size += ArrayHeaderSize(k+1) - ArrayHeaderSize(k) + e.Size()
			last.Entries = append(last.Entries, e)
			require.Equal(t, len(AppendAck(nil, &ack)), size, "ack with %d entries in the last node", k+1)
		}
	}
}

func TestHeaderSize(t *testing.T) {
	for _, n := range []int{0, 1, 128, MaxClusterIDLen} {
		h := Header{Type: MsgSynAck, ClusterID: pool[:n]}
		require.Equal(t, 5+n, h.Size())
		require.Len(t, AppendHeader(nil, &h), h.Size())
	}
}
