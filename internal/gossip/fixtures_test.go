package gossip

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Fixtures. The exported ones are shared with the external tests (package
// gossip_test); the others build and drive single engines for the
// white-box tests, which never run a cluster: clusters run in the
// simulator (internal/sim).

// Keys of test keyrings.
var (
	Key1 = bytes.Repeat([]byte{1}, 16)
	Key3 = bytes.Repeat([]byte{3}, 32)
)

// T0 is when single-engine tests start, the instant every simulation
// starts at (sim.Start).
var T0 = time.Unix(1_700_000_000, 0)

// NewTestKeyring returns a keyring with key as its primary, or nil for no key.
func NewTestKeyring(key []byte) *seal.Keyring {
	if key == nil {
		return nil
	}
	k, err := seal.NewKeyring(nil, key)
	if err != nil {
		panic(err)
	}
	return k
}

// BigMeta returns n compressible keys.
func BigMeta(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("service/svc-%03d/port", i)] = fmt.Sprint(8000 + i%16)
	}
	return m
}

// NewTestSealer returns a sealer with key (nil: none) for a 1400-byte limit.
func NewTestSealer(tb testing.TB, key []byte) *seal.Sealer {
	tb.Helper()
	s, err := seal.New(seal.Config{MaxPacketSize: 1400, Keyring: NewTestKeyring(key), Nonces: seal.SeededNonces(uint64(len(key)))})
	require.NoError(tb, err)
	return s
}

// FrameDatagram frames body as a datagram of cluster, of type typ, sealed by
// s; compressed compresses the body first and flags it.
func FrameDatagram(tb testing.TB, s *seal.Sealer, typ wire.MsgType, cluster string, body []byte, compressed bool) []byte {
	tb.Helper()
	if compressed {
		body = seal.Compress(nil, body)
	}
	d, err := s.Seal(wire.Header{Type: typ, ClusterID: cluster}, body, compressed)
	require.NoError(tb, err)
	return d
}

// testConfig is the LAN default configuration with a fixed ID.
func testConfig(id string) *Config {
	c := DefaultConfig()
	c.ID = id
	return &c
}

// newTestEngine returns the engine of node id at addr for cfg, started at
// now, with a seeded nonce stream.
func newTestEngine(tb testing.TB, cfg *Config, addr string, generation, seed uint64, now time.Time) *Engine {
	tb.Helper()
	e, err := New(*cfg, Params{Addr: addr, Generation: generation, Seed: seed, Nonces: seal.SeededNonces(seed), Now: now})
	require.NoError(tb, err)
	return e
}

// newNode returns the engine of node cfg.ID at address ID:7946, started at
// T0 with metadata meta.
func newNode(tb testing.TB, cfg *Config, seed uint64, meta map[string]string) *Engine {
	tb.Helper()
	e := newTestEngine(tb, cfg, cfg.ID+":7946", uint64(T0.UnixNano()), seed, T0)
	require.NoError(tb, e.SetAll(T0, meta))
	return e
}

// joinNow makes e join addrs at now, resolving names as given.
func (e *Engine) joinNow(now time.Time, addrs []string) {
	e.Join(now, addrs)
	e.answerResolve(now)
}

// answerResolve answers the engine's resolution requests with the names as
// given, as a driver of in-memory addresses does.
func (e *Engine) answerResolve(now time.Time) {
	for len(e.ready.Resolve) > 0 {
		names := e.ready.Resolve
		e.ready.Resolve = nil
		rs := make([]Resolution, len(names))
		for i, n := range names {
			rs[i] = Resolution{Name: n, Addr: n}
		}
		e.SeedsResolved(now, rs)
	}
}

// ready0 returns and clears the datagrams to send and the events to
// deliver, answering resolution requests first.
func (e *Engine) ready0(now time.Time) ([]Datagram, []Event) {
	e.answerResolve(now)
	rd := e.Ready()
	return rd.Datagrams, rd.Events
}

// exchanges0 is ready0 without heartbeats: the datagrams of exchanges.
func (e *Engine) exchanges0(now time.Time) ([]Datagram, []Event) {
	out, evs := e.ready0(now)
	return slices.DeleteFunc(out, func(d Datagram) bool {
		h, _, err := wire.ParseHeader(d.Data)
		return err == nil && h.Type == wire.MsgHeartbeat
	}), evs
}
