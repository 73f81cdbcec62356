package wire

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

const randomMessages = 1500

// The hand encoder must write exactly what go-msgpack writes.
func TestAppendMatchesGoMsgpack(t *testing.T) {
	g := newGen(1)
	for i := range randomMessages {
		syn, synAck, ack := g.syn(), g.synAck(), g.ack()
		require.Equal(t, msgpackEncode(t, &syn), AppendSyn(nil, &syn), "syn %d", i)
		require.Equal(t, msgpackEncode(t, &synAck), AppendSynAck(nil, &synAck), "synack %d", i)
		require.Equal(t, msgpackEncode(t, &ack), AppendAck(nil, &ack), "ack %d", i)
	}
}

// go-msgpack writes a nil slice as msgpack nil and an empty one as an
// empty array; the hand encoder does the same, and both are one byte.
func TestAppendNilAndEmptySlices(t *testing.T) {
	nilDelta := Ack{From: "a"}
	emptyDelta := Ack{From: "a", Delta: Delta{Nodes: []NodeDelta{}}}
	require.Equal(t, []byte{0x92, 0xa1, 'a', 0x91, mpNil}, AppendAck(nil, &nilDelta))
	require.Equal(t, []byte{0x92, 0xa1, 'a', 0x91, mpFixArray}, AppendAck(nil, &emptyDelta))
	require.Equal(t, msgpackEncode(t, &nilDelta), AppendAck(nil, &nilDelta))
	require.Equal(t, msgpackEncode(t, &emptyDelta), AppendAck(nil, &emptyDelta))
}

// Array32 headers only appear past 65535 elements.
func TestAppendArray32(t *testing.T) {
	m := Syn{From: "n", Digest: Digest{Entries: make([]DigestEntry, 1<<16)}}
	b := AppendSyn(nil, &m)
	require.Equal(t, msgpackEncode(t, &m), b)
	require.Equal(t, m.Size(), len(b))
	require.Equal(t, []byte{mpArray32, 0, 1, 0, 0}, b[5:10])
	var got Syn
	require.NoError(t, DecodeSyn(b, &got))
	require.Equal(t, m, got)
}

func TestAppendKeepsPrefix(t *testing.T) {
	m := g0Syn()
	b := AppendSyn([]byte("prefix"), &m)
	require.Equal(t, "prefix", string(b[:6]))
	var got Syn
	require.NoError(t, DecodeSyn(b[6:], &got))
	require.Equal(t, normSyn(m), normSyn(got))
}

func g0Syn() Syn { return newGen(0).syn() }

func TestRoundTrip(t *testing.T) {
	g := newGen(2)
	for i := range randomMessages {
		syn, synAck, ack := g.syn(), g.synAck(), g.ack()

		var gotSyn Syn
		require.NoError(t, DecodeSyn(AppendSyn(nil, &syn), &gotSyn), "syn %d", i)
		require.Equal(t, normSyn(syn), normSyn(gotSyn), "syn %d", i)

		var gotSynAck SynAck
		require.NoError(t, DecodeSynAck(AppendSynAck(nil, &synAck), &gotSynAck), "synack %d", i)
		require.Equal(t, normSynAck(synAck), normSynAck(gotSynAck), "synack %d", i)

		var gotAck Ack
		require.NoError(t, DecodeAck(AppendAck(nil, &ack), &gotAck), "ack %d", i)
		require.Equal(t, normAck(ack), normAck(gotAck), "ack %d", i)
	}
}

// Decoding into a message that already holds data must replace it, not
// merge into it.
func TestDecodeReplacesPreviousContents(t *testing.T) {
	g := newGen(3)
	var m SynAck
	for range 50 {
		want := g.synAck()
		require.NoError(t, DecodeSynAck(AppendSynAck(nil, &want), &m))
		require.Equal(t, normSynAck(want), normSynAck(m))
	}
	small := SynAck{From: "x"}
	require.NoError(t, DecodeSynAck(AppendSynAck(nil, &small), &m))
	require.Equal(t, normSynAck(small), normSynAck(m))
}

// The decoded message owns its strings: changing the body afterwards does
// not change it.
func TestDecodeDoesNotAliasBody(t *testing.T) {
	m := Ack{From: "sender", Delta: Delta{Nodes: []NodeDelta{{ID: "node", Entries: []Entry{{Key: "k", Value: "v"}}}}}}
	b := AppendAck(nil, &m)
	var got Ack
	require.NoError(t, DecodeAck(b, &got))
	for i := range b {
		b[i] = 'z'
	}
	require.Equal(t, normAck(m), normAck(got))
}

// Encode and decode from many goroutines at once; run with -race.
func TestConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g := newGen(uint64(100 + w))
			for range 100 {
				want := g.synAck()
				b := AppendSynAck(nil, &want)
				var got SynAck
				if err := DecodeSynAck(b, &got); err != nil {
					errs <- err
					return
				}
				if got.Size() != len(b) {
					errs <- ErrMalformed
					return
				}
				// Nor may a failing decode disturb the others.
				if DecodeSynAck(b[:len(b)/2], &got) == nil {
					errs <- ErrTruncated
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
