package wire

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Differential checks against go-msgpack, the reference: whatever the hand
// decoder accepts, go-msgpack must decode to exactly the same value, nil
// and empty slices included (msgpack nil gives a nil slice, an empty array
// an empty one). The converse does not hold: go-msgpack accepts much that
// the wire format refuses (see hostile_test.go).

// checkMatchesGoMsgpack decodes in with hand and, if that succeeds, with
// go-msgpack, and requires the same value from both. It returns whether
// hand accepted in.
func checkMatchesGoMsgpack[M any](t testing.TB, in []byte, hand func([]byte, *M) error) bool {
	t.Helper()
	var got M
	if err := hand(in, &got); err != nil {
		require.ErrorIs(t, err, ErrMalformed)
		require.NotErrorIs(t, err, errDecoderPanic)
		return false
	}
	var want M
	require.NoError(t, decodeMsgpack(in, &want), "go-msgpack refuses what the hand decoder accepts: % x", in)
	require.Equal(t, want, got, "% x", in)
	return true
}

// checkAllMatchGoMsgpack decodes in as each message type.
func checkAllMatchGoMsgpack(t testing.TB, in []byte) {
	t.Helper()
	checkMatchesGoMsgpack(t, in, DecodeSyn)
	checkMatchesGoMsgpack(t, in, DecodeSynAck)
	checkMatchesGoMsgpack(t, in, DecodeAck)
}

// checkGeneratedMatchGoMsgpack encodes random messages from g and
// requires both decoders to give back exactly the message.
func checkGeneratedMatchGoMsgpack(t testing.TB, g *gen) {
	t.Helper()
	syn, synAck, ack := g.syn(), g.synAck(), g.ack()
	require.True(t, checkMatchesGoMsgpack(t, AppendSyn(nil, &syn), DecodeSyn))
	require.True(t, checkMatchesGoMsgpack(t, AppendSynAck(nil, &synAck), DecodeSynAck))
	require.True(t, checkMatchesGoMsgpack(t, AppendAck(nil, &ack), DecodeAck))
	var gotSyn Syn
	require.NoError(t, DecodeSyn(AppendSyn(nil, &syn), &gotSyn))
	require.Equal(t, syn, gotSyn)
	var gotSynAck SynAck
	require.NoError(t, DecodeSynAck(AppendSynAck(nil, &synAck), &gotSynAck))
	require.Equal(t, synAck, gotSynAck)
	var gotAck Ack
	require.NoError(t, DecodeAck(AppendAck(nil, &ack), &gotAck))
	require.Equal(t, ack, gotAck)
}

func TestDecodeGeneratedMatchesGoMsgpack(t *testing.T) {
	g := newGen(4)
	for range randomMessages {
		checkGeneratedMatchGoMsgpack(t, g)
	}
}

// Valid bodies, hostile ones, their prefixes and single-byte changes: no
// input that the hand decoder accepts decodes differently in go-msgpack.
func TestDecodeMutationsMatchGoMsgpack(t *testing.T) {
	var inputs [][]byte
	for _, bodies := range validBodies() {
		inputs = append(inputs, bodies...)
	}
	inputs = append(inputs, hostileSeeds()...)
	g := newGen(5)
	for range 100 {
		syn, synAck, ack := g.syn(), g.synAck(), g.ack()
		inputs = append(inputs, AppendSyn(nil, &syn), AppendSynAck(nil, &synAck), AppendAck(nil, &ack))
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, in := range inputs {
		checkAllMatchGoMsgpack(t, in)
		for n := range min(len(in), 64) {
			checkAllMatchGoMsgpack(t, in[:n])
		}
		for range 20 {
			if len(in) == 0 {
				break
			}
			mut := append([]byte(nil), in...)
			mut[r.IntN(len(mut))] = byte(r.UintN(256))
			checkAllMatchGoMsgpack(t, mut)
		}
	}
}

// Errors say where in the body and what was wrong.
func TestDecodeErrorMessages(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		base error
		want string
	}{
		{"empty", nil, ErrTruncated, "at byte 0: unexpected end"},
		{"not an array", []byte{mpNil}, ErrMalformed, "at byte 0: want array, got 0xc0"},
		{"field count", cat(arr(3), str("f"), emptyDigest, emptyDelta), ErrMalformed, "at byte 1: Syn has 3 fields, want 2"},
		{"array past the end", []byte{0x92, 0xa1}, ErrTruncated, "at byte 1: array of 2 elements in 1 bytes"},
		{"nil From", cat(arr(2), []byte{mpNil}, emptyDigest), ErrMalformed, "at byte 1: want string, got 0xc0"},
		{"string past the end", cat(arr(2), []byte{mpStr8, 10}, []byte("abc")), ErrTruncated, "at byte 3: string of 10 bytes, have 3"},
		{"short uint16", cat(arr(2), str("f"), arr(2), []byte{mpTrue}, arr(1), arr(5), str("id"), []byte{mpUint16, 1}), ErrTruncated, "at byte 11: need 2 bytes, have 1"},
		{"signed integer", synWithEntry(cat(arr(5), str("id"), []byte{0xd0, 1, 2, 3, 4})), ErrMalformed, "at byte 10: want unsigned integer, got 0xd0"},
		{"not a bool", cat(arr(2), str("f"), arr(2), []byte{1}, arr(0)), ErrMalformed, "at byte 4: want bool, got 0x01"},
		{"too many digest entries", cat(arr(2), str("f"), arr(2), []byte{mpTrue, mpArray16, 0, 3}, okDigestEnt), ErrTruncated, "at byte 8: array of 3 elements in 8 bytes"},
		{"trailing", cat(arr(2), str("f"), emptyDigest, []byte{0, 0}), ErrMalformed, "at byte 6: 2 trailing bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var m Syn
			err := DecodeSyn(c.in, &m)
			require.ErrorIs(t, err, c.base)
			require.Equal(t, c.base.Error()+": "+c.want, err.Error())
		})
	}
	var m Ack
	err := DecodeAck(ackWithNode(nodeDeltaWith(cat(arr(4), str("k"), str("v"), []byte{1, 3}))), &m)
	require.ErrorIs(t, err, ErrMalformed)
	require.Contains(t, err.Error(), ": value 3 exceeds 2")
}
