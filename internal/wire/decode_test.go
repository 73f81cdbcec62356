package wire

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// The hand decoder must accept exactly what validation followed by
// go-msgpack accepts, refuse the rest with the same error, and decode to
// exactly the same values, nil and empty slices included.

func checkMatchesReference[M any](t testing.TB, in []byte, hand func([]byte, *M) error, validate func([]byte) error) {
	t.Helper()
	var got M
	errHand := hand(in, &got)
	if errValidate := validate(in); errValidate != nil {
		require.Error(t, errHand, "validation refuses % x", in)
		require.Equal(t, errValidate.Error(), errHand.Error())
		return
	}
	var want M
	if errRef := decodeMsgpack(in, &want); errRef != nil {
		require.Error(t, errHand, "go-msgpack refuses % x: %v", in, errRef)
		return
	}
	require.NoError(t, errHand, "reference accepts % x", in)
	require.Equal(t, want, got)
}

func checkAllMatchReference(t testing.TB, in []byte) {
	t.Helper()
	checkMatchesReference(t, in, decodeSyn, validateSyn)
	checkMatchesReference(t, in, decodeSynAck, validateSynAck)
	checkMatchesReference(t, in, decodeAck, validateAck)
}

func TestDecoderMatchesReference(t *testing.T) {
	var inputs [][]byte
	for _, bodies := range validBodies() {
		inputs = append(inputs, bodies...)
	}
	inputs = append(inputs, hostileSeeds()...)
	g := newGen(4)
	for range 300 {
		syn, synAck, ack := g.syn(), g.synAck(), g.ack()
		inputs = append(inputs, AppendSyn(nil, &syn), AppendSynAck(nil, &synAck), AppendAck(nil, &ack))
	}
	r := rand.New(rand.NewPCG(5, 6))
	for _, in := range inputs {
		checkAllMatchReference(t, in)
		for n := range min(len(in), 64) {
			checkAllMatchReference(t, in[:n])
		}
		// A few single-byte changes of each input.
		for range 20 {
			if len(in) == 0 {
				break
			}
			mut := append([]byte(nil), in...)
			mut[r.IntN(len(mut))] = byte(r.UintN(256))
			checkAllMatchReference(t, mut)
		}
	}
}

func FuzzDecoderMatchesReference(f *testing.F) {
	for _, bodies := range validBodies() {
		for _, b := range bodies {
			f.Add(b)
		}
	}
	for _, b := range hostileSeeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkAllMatchReference(t, in)
	})
}
