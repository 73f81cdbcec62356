package seal

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

var (
	testKey1 = bytes.Repeat([]byte{1}, 16)
	testKey2 = bytes.Repeat([]byte{2}, 24)
	testKey3 = bytes.Repeat([]byte{3}, 32)
)

func TestKeyringSemantics(t *testing.T) {
	_, err := NewKeyring(nil, nil)
	require.Error(t, err, "a keyring needs a primary")
	_, err = NewKeyring(nil, []byte("short"))
	require.Error(t, err)
	_, err = NewKeyring([][]byte{[]byte("bad")}, testKey1)
	require.Error(t, err)

	k, err := NewKeyring([][]byte{testKey2, testKey1, testKey2}, testKey1)
	require.NoError(t, err)
	require.Equal(t, testKey1, k.PrimaryKey())
	require.Equal(t, [][]byte{testKey1, testKey2}, k.Keys(), "primary first, duplicates once")

	// Copies in and out.
	got := k.PrimaryKey()
	got[0] = 99
	require.Equal(t, testKey1, k.PrimaryKey())
	keys := k.Keys()
	keys[1][0] = 99
	require.Equal(t, testKey2, k.Keys()[1])
	mine := bytes.Clone(testKey3)
	require.NoError(t, k.AddKey(mine))
	mine[0] = 99
	require.Equal(t, testKey3, k.Keys()[2])

	require.Error(t, k.AddKey([]byte("bad")))
	require.Error(t, k.UseKey(bytes.Repeat([]byte{7}, 16)), "UseKey of a key not installed")
	require.NoError(t, k.UseKey(testKey3))
	require.Equal(t, [][]byte{testKey3, testKey1, testKey2}, k.Keys())
	require.Error(t, k.RemoveKey(testKey3), "the primary cannot be removed")
	require.NoError(t, k.RemoveKey(testKey1))
	require.NoError(t, k.RemoveKey(testKey1), "removing an absent key is a no-op")
	require.Equal(t, [][]byte{testKey3, testKey2}, k.Keys())

	var zero Keyring
	require.Nil(t, zero.PrimaryKey())
	require.NoError(t, zero.AddKey(testKey2))
	require.Equal(t, testKey2, zero.PrimaryKey(), "the first key of an empty keyring is primary")
}

// testSealer returns a sealer with key (nil: none) for a 1400-byte limit.
func testSealer(t testing.TB, key []byte, compress bool) *Sealer {
	t.Helper()
	cfg := Config{MaxPacketSize: 1400, Compress: compress, Nonces: SeededNonces(uint64(len(key)))}
	if key != nil {
		k, err := NewKeyring(nil, key)
		require.NoError(t, err)
		cfg.Keyring = k
	}
	s, err := New(cfg)
	require.NoError(t, err)
	return s
}

// Readers (the gossip loop) and writers run at once; -race checks it.
func TestKeyringConcurrentUse(t *testing.T) {
	s := testSealer(t, testKey1, false)
	k := s.Keyring()
	h := wire.Header{Type: wire.MsgSyn, ClusterID: "c"}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for range 200 {
			_ = k.AddKey(testKey2)
			_ = k.UseKey(testKey2)
			_ = k.UseKey(testKey1)
			_ = k.RemoveKey(testKey2)
			_ = k.Keys()
		}
	}()
	go func() {
		defer wg.Done()
		for range 200 {
			d, err := s.Seal(h, []byte("body"), false)
			if err != nil {
				panic(err)
			}
			_, _ = s.Open(d[:h.Size()], d[3], d[h.Size():])
		}
	}()
	wg.Wait()
	require.Equal(t, [][]byte{testKey1}, k.Keys())
}

func TestNewNeedsNoncesForEncryption(t *testing.T) {
	k, err := NewKeyring(nil, testKey1)
	require.NoError(t, err)
	_, err = New(Config{MaxPacketSize: 1400, Keyring: k})
	require.ErrorIs(t, err, ErrNoNonces)
	require.Equal(t, [][]byte{testKey1}, k.Keys(), "New never changes the keyring")
}

func TestSealOpen(t *testing.T) {
	h := wire.Header{Type: wire.MsgAck, ClusterID: "prod"}
	hs := h.Size()
	body := []byte(strings.Repeat("service/http/port=8080;", 20))
	z := Compress(nil, body)
	require.Less(t, len(z), len(body))
	plain, enc, other := testSealer(t, nil, false), testSealer(t, testKey1, false), testSealer(t, testKey2, false)

	for _, s := range []*Sealer{plain, enc} {
		for _, compressed := range []bool{false, true} {
			in := body
			if compressed {
				in = z
			}
			d, err := s.Seal(h, in, compressed)
			require.NoError(t, err)
			require.Len(t, d, hs+len(in)+s.Overhead(), "overhead must be exact")
			got, err := s.Open(d[:hs], d[3], d[hs:])
			require.NoError(t, err)
			require.Equal(t, body, got)
			require.Equal(t, compressed, d[3]&wire.FlagCompressed != 0)
			require.Equal(t, s == enc, d[3]&wire.FlagEncrypted != 0)
		}
	}

	d, err := enc.Seal(h, body, false)
	require.NoError(t, err)
	_, err = other.Open(d[:hs], d[3], d[hs:])
	require.ErrorIs(t, err, ErrAuth, "wrong key")
	_, err = plain.Open(d[:hs], d[3], d[hs:])
	require.ErrorIs(t, err, ErrAuth, "encrypted datagram at a node without a key")
	p, err := plain.Seal(h, body, false)
	require.NoError(t, err)
	_, err = enc.Open(p[:hs], p[3], p[hs:])
	require.ErrorIs(t, err, ErrAuth, "plaintext at a node with a key")
	_, err = enc.Open(p[:hs], p[3]|wire.FlagEncrypted, p[hs:])
	require.ErrorIs(t, err, ErrAuth, "plaintext claiming to be encrypted")

	// The header is authenticated: type, flags and cluster ID.
	for _, at := range []int{2, 3, 5} {
		bad := bytes.Clone(d)
		bad[at] ^= 1 // at 3: FlagCompressed
		_, err = enc.Open(bad[:hs], bad[3], bad[hs:])
		require.Error(t, err, "header byte %d altered", at)
	}
	// So is every body byte.
	for i := hs; i < len(d); i++ {
		bad := bytes.Clone(d)
		bad[i] ^= 0x80
		_, err = enc.Open(bad[:hs], bad[3], bad[hs:])
		require.ErrorIs(t, err, ErrAuth)
	}
	// Unknown flags are malformed.
	_, err = plain.Open(p[:hs], 0x80, body)
	require.ErrorIs(t, err, ErrFlags)

	// A rotated keyring opens datagrams sealed with any installed key.
	require.NoError(t, other.Keyring().AddKey(testKey1))
	_, err = other.Open(d[:hs], d[3], d[hs:])
	require.NoError(t, err)
}

func TestDecompressIsBounded(t *testing.T) {
	big := make([]byte, 4*1400+1)
	z := Compress(nil, big)
	require.Less(t, len(z), 100, "a bomb: tiny input, large output")
	buf := make([]byte, 0, 4*1400+1)
	_, err := decompress(buf, z, 4*1400)
	require.ErrorIs(t, err, ErrOversize)
	out, err := decompress(buf, z, 4*1400+1)
	require.NoError(t, err)
	require.Len(t, out, len(big))
	_, err = decompress(buf, z[:len(z)/2], 4*1400+1)
	require.Error(t, err, "truncated stream")
	_, err = decompress(buf, []byte{0xff, 0xff, 0xff}, 4*1400)
	require.Error(t, err, "garbage")
	allocs := testing.AllocsPerRun(20, func() { _, _ = decompress(buf, z, 4*1400) })
	require.LessOrEqual(t, allocs, 64.0)
}

// Compression is deterministic whichever pooled writer does it, and safe
// from many goroutines at once (-race).
func TestCompressIsDeterministicAcrossGoroutines(t *testing.T) {
	body := []byte(strings.Repeat("node-17 10.0.3.17:7946 gen 1700000000 ", 40))
	want := Compress(nil, body)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			buf := make([]byte, 0, len(body)+1)
			for range 50 {
				other := make([]byte, rng.IntN(2000))
				_ = Compress(nil, other) // leave the writer in another state
				if got := Compress(nil, body); !bytes.Equal(got, want) {
					panic("compression depends on the writer's history")
				}
				if out, err := decompress(buf, want, len(body)); err != nil || !bytes.Equal(out, body) {
					panic("round trip failed")
				}
			}
		}()
	}
	wg.Wait()
}

// blob is a Message of n repeated bytes, trimmed by dropping its tail.
type blob struct{ b []byte }

func (m *blob) Size() int                  { return len(m.b) }
func (m *blob) AppendBody(b []byte) []byte { return append(b, m.b...) }
func (m *blob) Trim(limit int) {
	if limit < len(m.b) {
		m.b = m.b[:max(limit, 0)]
	}
}

// Frame never returns a datagram over its limit, with or without
// compression and encryption, whatever the message and the limit, and what
// it returns opens to a prefix of the message.
func TestFrameFitsAndOpens(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	h := wire.Header{Type: wire.MsgSynAck, ClusterID: "c"}
	for trial := range 400 {
		key := [][]byte{nil, testKey1}[trial%2]
		s := testSealer(t, key, trial%4 >= 2)
		limit := 64 + rng.IntN(1400-64)
		var src []byte
		if rng.IntN(2) == 0 {
			src = bytes.Repeat([]byte("service/key=value;"), 1+rng.IntN(400)) // compressible
		} else {
			src = make([]byte, rng.IntN(8000))
			for i := range src {
				src[i] = byte(rng.Uint32())
			}
		}
		d, err := s.Frame(h, limit, func(budget int) Message {
			return &blob{b: bytes.Clone(src[:min(len(src), max(budget, 0))])}
		})
		require.NoError(t, err)
		if d == nil {
			continue
		}
		require.LessOrEqual(t, len(d), limit, "trial %d", trial)
		got, err := s.Open(d[:h.Size()], d[3], d[h.Size():])
		require.NoError(t, err)
		require.True(t, bytes.HasPrefix(src, got), "trial %d: what is sent is a prefix of the message", trial)
	}
	none, err := testSealer(t, nil, true).Frame(h, 1400, func(int) Message { return nil })
	require.NoError(t, err)
	require.Nil(t, none)
}

func FuzzDecompress(f *testing.F) {
	f.Add(Compress(nil, []byte("service/http/port")), uint16(100))
	f.Add(Compress(nil, make([]byte, 5000)), uint16(4000))
	f.Add([]byte{0x63, 0x60}, uint16(10))
	f.Add([]byte{}, uint16(0))
	f.Fuzz(func(t *testing.T, in []byte, limit uint16) {
		buf := make([]byte, 0, int(limit)+1)
		out, err := decompress(buf, in, int(limit))
		if err != nil {
			return
		}
		if len(out) > int(limit) {
			t.Fatalf("%d bytes out, limit %d", len(out), limit)
		}
		if len(out) > 0 && &out[0] != &buf[:1][0] {
			t.Fatal("decompress allocated its output")
		}
	})
}
