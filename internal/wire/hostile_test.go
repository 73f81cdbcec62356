package wire

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// decoders under test, by message type, as byte-slice functions.
var decodeFuncs = map[string]func([]byte) error{
	"Syn":    func(b []byte) error { var m Syn; return DecodeSyn(b, &m) },
	"SynAck": func(b []byte) error { var m SynAck; return DecodeSynAck(b, &m) },
	"Ack":    func(b []byte) error { var m Ack; return DecodeAck(b, &m) },
}

// validBodies returns encodings of the samples and edge cases by type.
func validBodies() map[string][][]byte {
	out := map[string][][]byte{}
	syns := append(edgeSyns(), sampleSyn())
	for i := range syns {
		out["Syn"] = append(out["Syn"], AppendSyn(nil, &syns[i]))
	}
	synAcks := append(edgeSynAcks(), sampleSynAck())
	for i := range synAcks {
		out["SynAck"] = append(out["SynAck"], AppendSynAck(nil, &synAcks[i]))
	}
	acks := append(edgeAcks(), sampleAck())
	for i := range acks {
		out["Ack"] = append(out["Ack"], AppendAck(nil, &acks[i]))
	}
	return out
}

func TestDecodeTruncated(t *testing.T) {
	for typ, bodies := range validBodies() {
		decode := decodeFuncs[typ]
		for _, b := range bodies {
			require.NoError(t, decode(b))
			for n := range len(b) {
				err := decode(b[:n])
				require.ErrorIs(t, err, ErrTruncated, "%s cut to %d of %d bytes", typ, n, len(b))
				require.ErrorIs(t, err, ErrMalformed)
			}
		}
	}
}

func TestDecodeTrailingBytes(t *testing.T) {
	for typ, bodies := range validBodies() {
		for _, b := range bodies {
			for _, extra := range [][]byte{{0}, {mpNil}, {mpFixArray}, b} {
				in := append(append([]byte(nil), b...), extra...)
				err := decodeFuncs[typ](in)
				require.ErrorIs(t, err, ErrMalformed, "%s + % x", typ, extra)
				require.Contains(t, err.Error(), "trailing bytes")
			}
		}
	}
}

// Hand-built bodies, each wrong in one way. Helpers write msgpack pieces.
func arr(n int) []byte           { return appendArrayHeader(nil, n) }
func str(s string) []byte        { return appendStr(nil, s) }
func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

var (
	emptyDigest = cat(arr(2), []byte{mpFalse}, arr(0))
	emptyDelta  = cat(arr(1), arr(0))
	okEntry     = cat(arr(4), str("k"), str("v"), []byte{1, 0})
	okDigestEnt = cat(arr(5), str("id"), []byte{1, 2, 3, 4})
)

func nodeDeltaWith(entries ...[]byte) []byte {
	return cat(arr(9), str("id"), str("addr"), []byte{1, 2, 3, 4, 5, mpTrue}, arr(len(entries)), cat(entries...))
}

func ackWithNode(nd []byte) []byte { return cat(arr(2), str("f"), arr(1), arr(1), nd) }

func synWithEntry(e []byte) []byte { return cat(arr(2), str("f"), arr(2), []byte{mpTrue}, arr(1), e) }

func TestDecodeStructurallyInvalid(t *testing.T) {
	be32 := func(n uint32) []byte { return []byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)} }
	cases := []struct {
		name, typ string
		in        []byte
	}{
		{"empty body", "Syn", []byte{}},
		{"nil body", "Ack", nil},
		{"msgpack nil", "Syn", []byte{mpNil}},
		{"map instead of array", "Syn", cat([]byte{0x82}, str("From"), str("f"), str("Digest"), emptyDigest)},
		{"one field", "Syn", cat(arr(1), str("f"))},
		{"extra field", "Syn", cat(arr(3), str("f"), emptyDigest, []byte{0})},
		{"SynAck with two fields", "SynAck", cat(arr(2), str("f"), emptyDigest)},
		{"Ack as Syn", "Syn", cat(arr(2), str("f"), emptyDelta)},
		{"Syn as Ack", "Ack", cat(arr(2), str("f"), emptyDigest)},
		{"nil From", "Syn", cat(arr(2), []byte{mpNil}, emptyDigest)},
		{"bin From", "Syn", cat(arr(2), []byte{0xc4, 1, 'f'}, emptyDigest)},
		{"integer From", "Ack", cat(arr(2), []byte{1}, emptyDelta)},
		{"nil Digest", "Syn", cat(arr(2), str("f"), []byte{mpNil})},
		{"nil Delta", "Ack", cat(arr(2), str("f"), []byte{mpNil})},
		{"Complete not bool", "Syn", cat(arr(2), str("f"), arr(2), []byte{1}, arr(0))},
		{"Entries a map", "Syn", cat(arr(2), str("f"), arr(2), []byte{mpTrue, 0x80})},
		{"DigestEntry with 4 fields", "Syn", synWithEntry(cat(arr(4), str("id"), []byte{1, 2, 3}))},
		{"DigestEntry with 6 fields", "Syn", synWithEntry(cat(arr(6), str("id"), []byte{1, 2, 3, 4, 5}))},
		{"negative fixint", "Syn", synWithEntry(cat(arr(5), str("id"), []byte{0xff, 2, 3, 4}))},
		{"int8", "Syn", synWithEntry(cat(arr(5), str("id"), []byte{0xd0, 1, 2, 3, 4}))},
		{"float", "Syn", synWithEntry(cat(arr(5), str("id"), []byte{0xca, 0, 0, 0, 0, 2, 3, 4}))},
		{"nil integer", "Syn", synWithEntry(cat(arr(5), str("id"), []byte{mpNil, 2, 3, 4}))},
		{"status 3", "Ack", ackWithNode(nodeDeltaWith(cat(arr(4), str("k"), str("v"), []byte{1, 3})))},
		{"status 255", "Ack", ackWithNode(nodeDeltaWith(cat(arr(4), str("k"), str("v"), []byte{1, mpUint8, 255})))},
		{"status 256 as uint16", "Ack", ackWithNode(nodeDeltaWith(cat(arr(4), str("k"), str("v"), []byte{1, mpUint16, 1, 0})))},
		{"Entry with 3 fields", "Ack", ackWithNode(nodeDeltaWith(cat(arr(3), str("k"), str("v"), []byte{1})))},
		{"Reset not bool", "Ack", ackWithNode(cat(arr(9), str("id"), str("a"), []byte{1, 2, 3, 4, 5, 1}, arr(0)))},
		{"NodeDelta with 8 fields", "Ack", ackWithNode(cat(arr(8), str("id"), str("a"), []byte{1, 2, 3, 4, 5, mpTrue}))},
		{"second entry bad", "Ack", ackWithNode(nodeDeltaWith(okEntry, cat(arr(4), str("k"), []byte{mpNil, 1, 0})))},
		{"huge From", "Syn", cat(arr(2), []byte{mpStr32}, be32(0xffffffff), bytes.Repeat([]byte{'a'}, 100))},
		{"huge str16 key", "Ack", ackWithNode(nodeDeltaWith(cat(arr(4), []byte{mpStr16, 0xff, 0xff}, []byte("short"))))},
		{"huge digest", "Syn", cat(arr(2), str("f"), arr(2), []byte{mpTrue, mpArray32}, be32(0xffffffff), bytes.Repeat(okDigestEnt, 10))},
		{"huge delta", "Ack", cat(arr(2), str("f"), arr(1), []byte{mpArray32}, be32(0xffffffff), nodeDeltaWith(okEntry))},
		{"huge entries", "Ack", ackWithNode(cat(arr(9), str("id"), str("a"), []byte{1, 2, 3, 4, 5, mpTrue, mpArray32}, be32(1<<31), bytes.Repeat(okEntry, 10)))},
		{"array16 too long", "Syn", cat(arr(2), str("f"), arr(2), []byte{mpTrue, mpArray16, 0, 3}, okDigestEnt)},
		{"deep nesting", "Syn", bytes.Repeat([]byte{0x91}, 100000)},
		{"deep nesting in field", "Ack", cat(arr(2), str("f"), bytes.Repeat([]byte{0x91}, 100000))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { err = decodeFuncs[c.typ](c.in) })
			require.ErrorIs(t, err, ErrMalformed)
			require.NotErrorIs(t, err, errDecoderPanic)
		})
	}
}

// The hand-built helpers themselves produce valid bodies, so the cases
// above fail for the one reason they name.
func TestHostileHelpersAreValid(t *testing.T) {
	require.NoError(t, decodeFuncs["Ack"](ackWithNode(nodeDeltaWith(okEntry, okEntry))))
	require.NoError(t, decodeFuncs["Syn"](synWithEntry(okDigestEnt)))
	require.NoError(t, decodeFuncs["Syn"](cat(arr(2), str("f"), emptyDigest)))
	require.NoError(t, decodeFuncs["SynAck"](cat(arr(3), str("f"), emptyDigest, emptyDelta)))
	require.NoError(t, decodeFuncs["Ack"](ackWithNode(nodeDeltaWith(cat(arr(4), str("k"), str("v"), []byte{1, 2})))))
	require.NoError(t, decodeFuncs["Ack"](ackWithNode(nodeDeltaWith(cat(arr(4), str("k"), str("v"), []byte{1, mpUint64, 0, 0, 0, 0, 0, 0, 0, 2})))))
}

// hugeSyn is a ~100-byte Syn whose digest declares 2^32-1 entries.
func hugeSyn() []byte {
	return cat(arr(2), str("f"), arr(2), []byte{mpTrue, mpArray32, 0xff, 0xff, 0xff, 0xff}, bytes.Repeat(okDigestEnt, 10))
}

// hugeStringSyn is a ~100-byte Syn whose From declares 2^32-1 bytes.
func hugeStringSyn() []byte {
	return cat(arr(2), []byte{mpStr32, 0xff, 0xff, 0xff, 0xff}, bytes.Repeat([]byte{'a'}, 100))
}

// allocatedBytes is the average number of bytes f allocates per call,
// from the runtime's cumulative allocation counter.
func allocatedBytes(f func()) uint64 {
	const runs = 200
	f() // warm up pools and type caches
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

// A few hostile bytes must not make the decoder allocate much: declared
// lengths are checked against the bytes left before anything is allocated.
func TestDecodeHostileLengthsAllocateLittle(t *testing.T) {
	const limit = 1 << 10
	for name, in := range map[string][]byte{"array": hugeSyn(), "string": hugeStringSyn()} {
		require.Less(t, len(in), 128)
		var m Syn
		require.ErrorIs(t, DecodeSyn(in, &m), ErrTruncated)
		n := allocatedBytes(func() { _ = DecodeSyn(in, &m) })
		t.Logf("%s: DecodeSyn allocates %d B/op", name, n)
		require.Less(t, n, uint64(limit), name)
	}
}

func TestRecoverMalformed(t *testing.T) {
	f := func() (err error) {
		defer recoverMalformed(&err)
		panic(fmt.Sprintf("boom %d", 1))
	}
	var err error
	require.NotPanics(t, func() { err = f() })
	require.ErrorIs(t, err, ErrMalformed)
	require.ErrorIs(t, err, errDecoderPanic)
	require.Contains(t, err.Error(), "boom 1")

	g := func() (err error) {
		defer recoverMalformed(&err)
		return nil
	}
	require.NoError(t, g())
}
