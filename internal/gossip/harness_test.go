package gossip

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/seal"
)

// harness drives cores in virtual time over an instant, lossy network. Every
// node ticks once per round in a random order; the datagrams a step produces
// are delivered (or lost) before the next node ticks. Every datagram is
// checked against MaxPacketSize.
type harness struct {
	t        testing.TB
	now      time.Time
	interval time.Duration
	rng      *rand.Rand
	loss     float64
	nodes    map[string]*hnode // by address
	addrs    []string
	cut      map[[2]string]bool // directed links that drop everything
	events   map[string][]Event
	largest  int
	sent     int
	mkConfig func(id string) *Config
	// tap, if set, sees every datagram sent, before loss.
	tap func(from, to string, data []byte)
}

type hnode struct {
	id, addr string
	core     *Engine
	down     bool
}

func newHarness(t testing.TB, seed uint64, mkConfig func(id string) *Config) *harness {
	return &harness{
		t:        t,
		now:      time.Unix(1_700_000_000, 0),
		rng:      rand.New(rand.NewPCG(seed, 1)),
		nodes:    make(map[string]*hnode),
		cut:      make(map[[2]string]bool),
		events:   make(map[string][]Event),
		mkConfig: mkConfig,
	}
}

// testConfig is the LAN default configuration with a fixed ID.
func testConfig(id string) *Config {
	c := DefaultConfig()
	c.ID = id
	return &c
}

// testKeyring returns a keyring with key as its primary, or nil for no key.
func testKeyring(key []byte) *seal.Keyring {
	if key == nil {
		return nil
	}
	k, err := seal.NewKeyring(nil, key)
	if err != nil {
		panic(err)
	}
	return k
}

// newTestEngine returns the engine of node id at addr for cfg, started at
// now, with a seeded nonce stream.
func newTestEngine(tb testing.TB, cfg *Config, addr string, generation, seed uint64, now time.Time) *Engine {
	tb.Helper()
	e, err := New(*cfg, Params{Addr: addr, Generation: generation, Seed: seed, Nonces: seal.SeededNonces(seed), Now: now})
	require.NoError(tb, err)
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

// ready returns and clears the datagrams to send and the events to deliver,
// answering resolution requests first.
func (e *Engine) ready0(now time.Time) ([]Datagram, []Event) {
	e.answerResolve(now)
	rd := e.Ready()
	return rd.Datagrams, rd.Events
}

// peerIDs returns the IDs of the peers with status s, sorted.
func (e *Engine) peerIDs(s liveness) []string {
	var ids []string
	for _, n := range e.sorted {
		if n != e.self && n.status == s {
			ids = append(ids, n.id)
		}
	}
	return ids
}

// add starts a node and returns it. Its generation is derived from virtual
// time, so a restart gets a higher one.
func (h *harness) add(id string, meta map[string]string) *hnode {
	cfg := h.mkConfig(id)
	h.interval = cfg.GossipInterval
	addr := id + ":7946"
	c := newTestEngine(h.t, cfg, addr, uint64(h.now.UnixNano()), h.rng.Uint64(), h.now)
	require.NoError(h.t, c.SetAll(h.now, meta))
	n := &hnode{id: id, addr: addr, core: c}
	if _, ok := h.nodes[addr]; !ok {
		h.addrs = append(h.addrs, addr)
	}
	h.nodes[addr] = n
	return n
}

// addMany starts n nodes "n000".."n<n-1>", all joining the first.
func (h *harness) addMany(n int) []*hnode {
	var ns []*hnode
	for i := range n {
		nd := h.add(fmt.Sprintf("n%03d", i), map[string]string{"k": fmt.Sprint(i)})
		if i > 0 {
			nd.core.joinNow(h.now, []string{ns[0].addr})
		}
		ns = append(ns, nd)
	}
	h.flushAll()
	return ns
}

// flush delivers everything node n has to send, and the replies, until quiet.
func (h *harness) flush(n *hnode) {
	type statusPending struct {
		from *hnode
		msg  Datagram
	}
	var q []statusPending
	collect := func(src *hnode) {
		out, ev := src.core.ready0(h.now)
		h.events[src.id] = append(h.events[src.id], ev...)
		for _, m := range out {
			q = append(q, statusPending{src, m})
		}
	}
	collect(n)
	for len(q) > 0 {
		p := q[0]
		q = q[1:]
		h.sent++
		h.largest = max(h.largest, len(p.msg.Data))
		require.LessOrEqual(h.t, len(p.msg.Data), p.from.core.cfg.MaxPacketSize, "datagram over MaxPacketSize")
		if h.tap != nil {
			h.tap(p.from.addr, p.msg.To, p.msg.Data)
		}
		dst := h.nodes[p.msg.To]
		if dst == nil || dst.down || h.cut[[2]string{p.from.addr, dst.addr}] || h.rng.Float64() < h.loss {
			continue
		}
		dst.core.Receive(h.now, p.from.addr, p.msg.Data)
		collect(dst)
	}
}

func (h *harness) flushAll() {
	for _, a := range h.addrs {
		if n := h.nodes[a]; !n.down {
			h.flush(n)
		}
	}
}

// round advances virtual time by one interval and ticks every running node
// in a random order.
func (h *harness) round() {
	h.now = h.now.Add(h.interval)
	order := slices.Clone(h.addrs)
	h.rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	for _, a := range order {
		n := h.nodes[a]
		if n.down {
			continue
		}
		n.core.Tick(h.now)
		h.flush(n)
	}
}

// runUntil runs rounds until cond holds, failing after max rounds. It
// returns the number of rounds run.
func (h *harness) runUntil(max int, cond func() bool) int {
	h.t.Helper()
	for r := 0; r < max; r++ {
		if cond() {
			return r
		}
		h.round()
	}
	require.True(h.t, cond(), "condition not reached in %d rounds", max)
	return max
}

func (h *harness) running() []*hnode {
	var ns []*hnode
	for _, a := range h.addrs {
		if n := h.nodes[a]; !n.down {
			ns = append(ns, n)
		}
	}
	return ns
}

// converged reports whether every running node sees every other running node
// live with all its keys as the owner has them, and no other node live.
func (h *harness) converged() bool {
	run := h.running()
	for _, a := range run {
		if len(a.core.peerIDs(statusLive)) != len(run)-1 {
			return false
		}
		for _, b := range run {
			if a == b {
				continue
			}
			nb := a.core.nodes[b.id]
			if nb == nil || nb.status != statusLive || nb.generation != b.core.self.generation {
				return false
			}
			if !mapsEqual(nb.userKeys(), b.core.self.userKeys()) {
				return false
			}
		}
	}
	return true
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// eventsOf returns the events node observer got about node id.
func (h *harness) eventsOf(observer, id string) []EventType {
	var ts []EventType
	for _, e := range h.events[observer] {
		if e.Node.ID == id {
			ts = append(ts, e.Type)
		}
	}
	return ts
}
