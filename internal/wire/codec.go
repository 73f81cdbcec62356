package wire

import "fmt"

// Encoding is done by the hand-written append encoder in append.go, which
// writes exactly the bytes go-msgpack's MsgpackHandle (WriteExt = true)
// writes; codec_test.go proves the two byte-for-byte equal over random
// messages. It is about ten times faster than go-msgpack's encoder.
//
// Decoding is done by the hand-written decoder in decode.go, which checks
// the structure and fills the structs in one pass over the body. go-msgpack
// is only the reference codec in tests: decode_test.go and the fuzz targets
// check that whatever the hand decoder accepts, go-msgpack decodes to the
// same value. The decoder keeps no state between calls, so every function
// here may be called from many goroutines.

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

// AppendHeartbeat appends the msgpack body of m to dst and returns the
// extended slice. It appends exactly m.Size() bytes.
func AppendHeartbeat(dst []byte, m *Heartbeat) []byte {
	dst = append(dst, mpFixArray|heartbeatFields)
	dst = appendStr(dst, m.From)
	dst = appendUint(dst, m.Generation)
	dst = appendUint(dst, m.Seq)
	dst = appendUint(dst, m.Since)
	dst = appendUint(dst, m.Heard)
	dst = appendUint(dst, m.Subjects)
	return appendUint(dst, m.MaxVersion)
}

// AppendPush appends the msgpack body of m to dst and returns the extended
// slice. It appends exactly m.Size() bytes.
func AppendPush(dst []byte, m *Push) []byte {
	dst = append(dst, mpFixArray|pushFields)
	dst = appendStr(dst, m.From)
	dst = appendUint(dst, m.Hops)
	return appendDelta(dst, &m.Delta)
}

// AppendSum appends the msgpack body of m to dst and returns the extended
// slice. It appends exactly m.Size() bytes.
func AppendSum(dst []byte, m *Sum) []byte {
	dst = append(dst, mpFixArray|sumFields)
	dst = appendStr(dst, m.From)
	dst = appendUint(dst, m.Generation)
	dst = appendUint(dst, m.Nodes)
	dst = appendUint(dst, m.Fingerprint)
	return appendBool(dst, m.Answer)
}

// AppendRanges appends the msgpack body of m to dst and returns the
// extended slice. It appends exactly m.Size() bytes.
func AppendRanges(dst []byte, m *Ranges) []byte {
	dst = append(dst, mpFixArray|rangesFields)
	dst = appendStr(dst, m.From)
	dst = appendUint(dst, m.Generation)
	dst = appendRangeList(dst, m.Ranges)
	dst = appendRangeList(dst, m.Covered)
	return appendDigest(dst, &m.Digest)
}

// DecodeSyn decodes the body of a Syn into m, replacing all of m. The
// whole body must be one Syn. Errors wrap ErrMalformed; after an error m
// is unspecified. m does not alias body.
func DecodeSyn(body []byte, m *Syn) (err error) {
	defer recoverMalformed(&err)
	*m = Syn{}
	return decodeSyn(body, m)
}

// DecodeSynAck decodes the body of a SynAck into m, replacing all of m.
// The whole body must be one SynAck. Errors wrap ErrMalformed; after an
// error m is unspecified. m does not alias body.
func DecodeSynAck(body []byte, m *SynAck) (err error) {
	defer recoverMalformed(&err)
	*m = SynAck{}
	return decodeSynAck(body, m)
}

// DecodeAck decodes the body of an Ack into m, replacing all of m. The
// whole body must be one Ack. Errors wrap ErrMalformed; after an error m
// is unspecified. m does not alias body.
func DecodeAck(body []byte, m *Ack) (err error) {
	defer recoverMalformed(&err)
	*m = Ack{}
	return decodeAck(body, m)
}

// DecodeHeartbeat decodes the body of a Heartbeat into m, replacing all of
// m. The whole body must be one Heartbeat. Errors wrap ErrMalformed; after
// an error m is unspecified. m does not alias body.
func DecodeHeartbeat(body []byte, m *Heartbeat) (err error) {
	defer recoverMalformed(&err)
	*m = Heartbeat{}
	return decodeHeartbeat(body, m)
}

// DecodePush decodes the body of a Push into m, replacing all of m. The
// whole body must be one Push. Errors wrap ErrMalformed; after an error m
// is unspecified. m does not alias body.
func DecodePush(body []byte, m *Push) (err error) {
	defer recoverMalformed(&err)
	*m = Push{}
	return decodePush(body, m)
}

// DecodeSum decodes the body of a Sum into m, replacing all of m. The
// whole body must be one Sum. Errors wrap ErrMalformed; after an error m is
// unspecified.
func DecodeSum(body []byte, m *Sum) (err error) {
	defer recoverMalformed(&err)
	*m = Sum{}
	return decodeSum(body, m)
}

// DecodeRanges decodes the body of a Ranges into m, replacing all of m.
// The whole body must be one Ranges. Errors wrap ErrMalformed; after an
// error m is unspecified. m does not alias body.
func DecodeRanges(body []byte, m *Ranges) (err error) {
	defer recoverMalformed(&err)
	*m = Ranges{}
	return decodeRanges(body, m)
}

// errDecoderPanic is wrapped by the error of a Decode function whose
// decoder panicked. That would be a bug: the decoder checks every length
// before it indexes, and the fuzz targets check that no input gets here.
// The recovery is a safety net, so that a hostile datagram costs at worst
// a dropped message, never the process.
var errDecoderPanic = fmt.Errorf("%w: decoder panic", ErrMalformed)

// recoverMalformed, deferred, turns a panic into an error wrapping
// errDecoderPanic and so ErrMalformed.
func recoverMalformed(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %v", errDecoderPanic, r)
	}
}
