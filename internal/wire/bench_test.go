package wire

import (
	"fmt"
	"testing"

	"github.com/hashicorp/go-msgpack/v2/codec"
)

// Realistic bodies of about 1400 bytes, the size of a datagram.

func benchNodeID(i int) string { return fmt.Sprintf("node-%015d", i) } // 20 bytes

func benchDigest(n int) Digest {
	d := Digest{Complete: true, Entries: make([]DigestEntry, n)}
	for i := range d.Entries {
		d.Entries[i] = DigestEntry{ID: benchNodeID(i), Generation: 1700000000 + uint64(i),
			Flags: 1000 + uint64(i)*37, MaxVersion: 100 + uint64(i), GCVersion: uint64(i)}
	}
	return d
}

func benchDelta(nodes, entries int) Delta {
	d := Delta{Nodes: make([]NodeDelta, nodes)}
	for i := range d.Nodes {
		nd := NodeDelta{ID: benchNodeID(i), Addr: fmt.Sprintf("10.0.%d.%d:7946", i/256, i%256),
			Generation: 1700000000 + uint64(i), Flags: 5000 + uint64(i), FromVersion: 200,
			MaxVersion: 200 + uint64(entries), GCVersion: 150, Entries: make([]Entry, entries)}
		for j := range nd.Entries {
			nd.Entries[j] = Entry{Key: fmt.Sprintf("svc/port-%04d", j), Value: fmt.Sprintf("value-%06d", j*i),
				Version: 201 + uint64(j), Status: uint8(j % 2)}
		}
		d.Nodes[i] = nd
	}
	return d
}

func benchSyn() Syn {
	return Syn{From: "10.0.0.1:7946", Digest: benchDigest(38)}
}

func benchSynAck() SynAck {
	return SynAck{From: "10.0.0.2:7946", Digest: benchDigest(20), Delta: benchDelta(3, 6)}
}

func benchAck() Ack {
	return Ack{From: "10.0.0.1:7946", Delta: benchDelta(5, 7)}
}

// benchEncode compares the append encoder with go-msgpack's, both writing
// into a reused buffer.
func benchEncode[M any](b *testing.B, m *M, size int, appendFn func([]byte, *M) []byte) {
	b.Run("append", func(b *testing.B) {
		buf := make([]byte, 0, 2048)
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			buf = appendFn(buf[:0], m)
		}
	})
	b.Run("gomsgpack", func(b *testing.B) {
		buf := make([]byte, 0, 2048)
		enc := codec.NewEncoderBytes(&buf, handle)
		b.SetBytes(int64(size))
		b.ReportAllocs()
		for b.Loop() {
			buf = buf[:0]
			enc.ResetBytes(&buf)
			if err := enc.Encode(m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkEncodeSyn(b *testing.B) {
	m := benchSyn()
	benchEncode(b, &m, m.Size(), AppendSyn)
}

func BenchmarkEncodeSynAck(b *testing.B) {
	m := benchSynAck()
	benchEncode(b, &m, m.Size(), AppendSynAck)
}

func BenchmarkEncodeAck(b *testing.B) {
	m := benchAck()
	benchEncode(b, &m, m.Size(), AppendAck)
}

// benchDecode compares the hand decoder with go-msgpack's, both decoding
// into a reused message. go-msgpack alone is not a full decode: it does
// not check the structure the way the wire format requires.
func benchDecode[M any](b *testing.B, body []byte, decode func([]byte, *M) error) {
	b.Run("hand", func(b *testing.B) {
		var m M
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			if err := decode(body, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gomsgpack", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			var m M
			if err := decodeMsgpack(body, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecodeSyn(b *testing.B) {
	m := benchSyn()
	benchDecode(b, AppendSyn(nil, &m), DecodeSyn)
}

func BenchmarkDecodeSynAck(b *testing.B) {
	m := benchSynAck()
	benchDecode(b, AppendSynAck(nil, &m), DecodeSynAck)
}

func BenchmarkDecodeAck(b *testing.B) {
	m := benchAck()
	benchDecode(b, AppendAck(nil, &m), DecodeAck)
}

func BenchmarkSize(b *testing.B) {
	syn, synAck, ack := benchSyn(), benchSynAck(), benchAck()
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		n += syn.Size() + synAck.Size() + ack.Size()
	}
	if n == 0 {
		b.Fatal("zero size")
	}
}

// The benchmark messages are the realistic size they claim to be.
func TestBenchMessagesAreDatagramSized(t *testing.T) {
	syn, synAck, ack := benchSyn(), benchSynAck(), benchAck()
	for name, n := range map[string]int{"syn": syn.Size(), "synack": synAck.Size(), "ack": ack.Size()} {
		if n < 1200 || n > 1450 {
			t.Errorf("%s body is %d bytes, want about 1400", name, n)
		}
	}
}
