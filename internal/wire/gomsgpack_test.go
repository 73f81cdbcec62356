package wire

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/hashicorp/go-msgpack/v2/codec"
	"github.com/stretchr/testify/require"
)

// go-msgpack is the reference codec for the hand-written encoder and
// decoder: the encoder must write exactly what go-msgpack writes, and
// whatever the decoder accepts go-msgpack must decode to the same value.
// It was the package's decoder before decode.go; the functions here are
// that decoder, without the structural validation that preceded it.

// newHandle returns the msgpack handle for the wire format. WriteExt makes
// strings use str8 (the "new spec"); MaxInitLen and MaxDepth bound what a
// hostile input can make the decoder allocate or recurse.
func newHandle() *codec.MsgpackHandle {
	h := &codec.MsgpackHandle{WriteExt: true}
	h.MaxInitLen = 64
	h.MaxDepth = 8
	return h
}

var handle = newHandle()

// noBytes resets pooled decoders so they do not keep the last body alive.
// ResetBytes ignores a nil slice, so it must be non-nil.
var noBytes = []byte{}

var decoders = sync.Pool{New: func() any { return codec.NewDecoderBytes(noBytes, handle) }}

// decodeMsgpack decodes body into v, a pointer to one of the message
// structs, with a pooled go-msgpack decoder. It reports an error wrapping
// ErrMalformed when go-msgpack fails or panics, or when body has bytes
// after the value.
func decodeMsgpack(body []byte, v any) (err error) {
	if len(body) == 0 {
		return fmt.Errorf("%w: empty body", ErrTruncated)
	}
	defer recoverMalformed(&err)
	d := decoders.Get().(*codec.Decoder)
	d.ResetBytes(body)
	if err := d.Decode(v); err != nil {
		// The decoder is dropped rather than pooled: it may hold
		// state from the failure.
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	n := d.NumBytesRead()
	d.ResetBytes(noBytes)
	decoders.Put(d)
	if n != len(body) {
		return fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(body)-n)
	}
	return nil
}

// The reference refuses deep nesting through MaxDepth and reports trailing
// bytes and empty input as errors rather than panicking; the differential
// checks rely on the trailing-byte check.
func TestDecodeMsgpackReference(t *testing.T) {
	var m Syn
	deep := cat(arr(3), str("f"), emptyDigest, bytes.Repeat([]byte{0x91}, 100000))
	err := decodeMsgpack(deep, &m)
	require.ErrorIs(t, err, ErrMalformed)
	require.Contains(t, err.Error(), "depth")

	ok := cat(arr(2), str("f"), emptyDigest)
	require.NoError(t, decodeMsgpack(ok, &m))
	require.ErrorIs(t, decodeMsgpack(append(ok, 0), &m), ErrMalformed)
	require.ErrorIs(t, decodeMsgpack(nil, &m), ErrMalformed)
}
