package wire

import (
	"fmt"
	"sync"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// Encoding is done by the hand-written append encoder in append.go, which
// writes exactly the bytes go-msgpack's MsgpackHandle (WriteExt = true)
// writes; codec_test.go proves the two byte-for-byte equal over random
// messages. It is about ten times faster: on ~1400-byte bodies (2-core
// amd64, go test -bench=. ./internal/wire/), Syn 475 ns vs 4615 ns,
// SynAck 455 ns vs 4908 ns, Ack 453 ns vs 4586 ns per message, neither
// allocating into a reused buffer.
//
// Decoding uses go-msgpack, after the structural validation in validate.go,
// with pooled decoders (a codec.Decoder is not safe for concurrent use, the
// handle is) so that every function here may be called from many
// goroutines.

// newHandle returns the msgpack handle for the wire format. WriteExt makes
// strings use str8 (the "new spec"); MaxInitLen and MaxDepth bound what a
// hostile input can make the decoder allocate or recurse, should anything
// slip past validation.
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

// AppendSyn appends the msgpack body of m to dst and returns the extended
// slice. It appends exactly m.Size() bytes.
func AppendSyn(dst []byte, m *Syn) []byte {
	dst = append(dst, mpFixArray|synFields)
	dst = appendStr(dst, m.From)
	return appendDigest(dst, &m.Digest)
}

// AppendSynAck appends the msgpack body of m to dst and returns the
// extended slice. It appends exactly m.Size() bytes.
func AppendSynAck(dst []byte, m *SynAck) []byte {
	dst = append(dst, mpFixArray|synAckFields)
	dst = appendStr(dst, m.From)
	dst = appendDigest(dst, &m.Digest)
	return appendDelta(dst, &m.Delta)
}

// AppendAck appends the msgpack body of m to dst and returns the extended
// slice. It appends exactly m.Size() bytes.
func AppendAck(dst []byte, m *Ack) []byte {
	dst = append(dst, mpFixArray|ackFields)
	dst = appendStr(dst, m.From)
	return appendDelta(dst, &m.Delta)
}

// DecodeSyn decodes the body of a Syn into m, replacing all of m. The
// whole body must be one Syn. Errors wrap ErrMalformed; after an error m
// is unspecified. m does not alias body.
func DecodeSyn(body []byte, m *Syn) error {
	if err := validateSyn(body); err != nil {
		return err
	}
	*m = Syn{}
	return decodeMsgpack(body, m)
}

// DecodeSynAck decodes the body of a SynAck into m, replacing all of m.
// The whole body must be one SynAck. Errors wrap ErrMalformed; after an
// error m is unspecified. m does not alias body.
func DecodeSynAck(body []byte, m *SynAck) error {
	if err := validateSynAck(body); err != nil {
		return err
	}
	*m = SynAck{}
	return decodeMsgpack(body, m)
}

// DecodeAck decodes the body of an Ack into m, replacing all of m. The
// whole body must be one Ack. Errors wrap ErrMalformed; after an error m
// is unspecified. m does not alias body.
func DecodeAck(body []byte, m *Ack) error {
	if err := validateAck(body); err != nil {
		return err
	}
	*m = Ack{}
	return decodeMsgpack(body, m)
}

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

// recoverMalformed, deferred, turns a panic into an error wrapping
// ErrMalformed, so that no input can make decoding panic.
func recoverMalformed(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: decoder panic: %v", ErrMalformed, r)
	}
}
