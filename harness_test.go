package scuttlebutt

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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
	events   map[string][]NodeEvent
	largest  int
	sent     int
	mkConfig func(id string) *Config
	// tap, if set, sees every datagram sent, before loss.
	tap func(from, to string, data []byte)
}

type hnode struct {
	id, addr string
	core     *core
	down     bool
}

func newHarness(t testing.TB, seed uint64, mkConfig func(id string) *Config) *harness {
	return &harness{
		t:        t,
		now:      time.Unix(1_700_000_000, 0),
		rng:      rand.New(rand.NewPCG(seed, 1)),
		nodes:    make(map[string]*hnode),
		cut:      make(map[[2]string]bool),
		events:   make(map[string][]NodeEvent),
		mkConfig: mkConfig,
	}
}

// testConfig is a LAN config with a fixed ID and the in-memory transport
// left nil (the harness routes datagrams itself).
func testConfig(id string) *Config {
	c := DefaultLANConfig()
	c.Node.ID = id
	c.ListenAddr = "unused:0"
	return c
}

// add starts a node and returns it. Its generation is derived from virtual
// time, so a restart gets a higher one.
func (h *harness) add(id string, meta map[string]string) *hnode {
	cfg, err := h.mkConfig(id).normalized()
	require.NoError(h.t, err)
	h.interval = cfg.GossipInterval
	addr := id + ":7946"
	seed := h.rng.Uint64()
	c, err := newCore(cfg, coreParams{addr: addr, generation: uint64(h.now.UnixNano()), seed: seed, nonces: seededNonces(seed)}, h.now)
	require.NoError(h.t, err)
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		require.NoError(h.t, c.checkEntry(k, meta[k]))
		c.set(k, meta[k], h.now, 0)
	}
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
			nd.core.join([]string{ns[0].addr})
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
		msg  outMsg
	}
	var q []statusPending
	collect := func(src *hnode) {
		out, ev := src.core.ready()
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
		h.largest = max(h.largest, len(p.msg.data))
		require.LessOrEqual(h.t, len(p.msg.data), p.from.core.cfg.MaxPacketSize, "datagram over MaxPacketSize")
		if h.tap != nil {
			h.tap(p.from.addr, p.msg.to, p.msg.data)
		}
		dst := h.nodes[p.msg.to]
		if dst == nil || dst.down || h.cut[[2]string{p.from.addr, dst.addr}] || h.rng.Float64() < h.loss {
			continue
		}
		dst.core.receive(h.now, p.from.addr, p.msg.data)
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
		n.core.tick(h.now)
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
func (h *harness) eventsOf(observer, id string) []NodeEventType {
	var ts []NodeEventType
	for _, e := range h.events[observer] {
		if e.Node.ID == id {
			ts = append(ts, e.Event)
		}
	}
	return ts
}
