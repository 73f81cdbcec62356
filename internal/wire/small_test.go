package wire

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The small messages (Heartbeat, Push, Sum) against the reference codec:
// the hand encoder writes what go-msgpack writes, Size is exact, and both
// decoders give the message back.

func (g *gen) heartbeat() Heartbeat {
	return Heartbeat{From: g.str(), Generation: g.uint(), Seq: g.uint(), Since: g.uint(), Heard: g.uint(), Subjects: g.uint(), MaxVersion: g.uint()}
}

func (g *gen) push() Push { return Push{From: g.str(), Hops: g.uint(), Delta: g.delta()} }

func (g *gen) sum() Sum {
	return Sum{From: g.str(), Generation: g.uint(), Nodes: g.uint(), Fingerprint: g.uint(), Answer: g.r.IntN(2) == 0}
}

func TestSmallMessagesMatchGoMsgpack(t *testing.T) {
	g := newGen(7)
	for i := range 300 {
		hb, push, sum := g.heartbeat(), g.push(), g.sum()
		checkSmall(t, i, &hb, AppendHeartbeat, DecodeHeartbeat, hb.Size())
		b := checkSmall(t, i, &push, AppendPush, DecodePush, push.Size())
		var got Push
		require.NoError(t, DecodePush(b, &got))
		require.Equal(t, normDelta(push.Delta), normDelta(got.Delta))
		checkSmall(t, i, &sum, AppendSum, DecodeSum, sum.Size())
	}
}

// checkSmall encodes m, compares with go-msgpack and the size, and decodes
// the encoding with both decoders. It returns the encoding.
func checkSmall[M any](t *testing.T, i int, m *M, enc func([]byte, *M) []byte, dec func([]byte, *M) error, size int) []byte {
	t.Helper()
	b := enc(nil, m)
	require.Equal(t, msgpackEncode(t, m), b, "message %d", i)
	require.Len(t, b, size, "message %d", i)
	require.True(t, checkMatchesGoMsgpack(t, b, dec))
	for n := range min(len(b), 48) {
		checkMatchesGoMsgpack(t, b[:n], dec)
	}
	return b
}

func TestSumSmallerThanAHeartbeat(t *testing.T) {
	s := Sum{From: "node-0042", Generation: 1 << 62, Nodes: 5000, Fingerprint: 1<<64 - 1, Answer: true}
	hb := Heartbeat{From: "node-0042", Generation: 1 << 62, Seq: 1 << 20, Since: 1 << 20, Heard: 10, Subjects: 10, MaxVersion: 1 << 20}
	require.LessOrEqual(t, s.Size(), hb.Size())
}

func FuzzDecodeSum(f *testing.F) {
	g := newGen(8)
	for range 8 {
		s := g.sum()
		f.Add(AppendSum(nil, &s))
	}
	for _, b := range hostileSeeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if !checkMatchesGoMsgpack(t, in, DecodeSum) {
			return
		}
		var m Sum
		require.NoError(t, DecodeSum(in, &m))
		b := AppendSum(nil, &m)
		require.Equal(t, m.Size(), len(b))
		var m2 Sum
		require.NoError(t, DecodeSum(b, &m2))
		require.Equal(t, m, m2)
	})
}
