package gossip

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Property tests of reconciliation between two views that differ: sizes
// from 1 to 10,000 nodes, differences from none to all. Each exchange
// opens with a Sum, as at rest; the datagrams go back and forth until
// none is left. Every exchange must end, every datagram must fit
// MaxPacketSize, exchanges repeated must leave both views identical, and
// the bytes they take grow with the differences, not with the views.

// rangePair builds two engines over n nodes of which about share differ:
// one side holds a node the other lacks, or holds it at a higher version.
func rangePair(tb testing.TB, seed uint64, n int, share float64) (a, b *Engine) {
	tb.Helper()
	r := rand.New(rand.NewPCG(seed, 7))
	a = newTestEngine(tb, testConfig("self-a"), "a:7946", 1, seed, T0)
	b = newTestEngine(tb, testConfig("self-b"), "b:7946", 1, seed+1, T0)
	hold := func(e *Engine, id, addr string, gen, versions uint64) {
		nd := e.newNode(id, addr, gen)
		nd.status = statusLive
		for v := uint64(1); v <= versions; v++ {
			nd.maxVersion = v
			nd.put(&kvEntry{key: fmt.Sprintf("k%d", v%3), value: fmt.Sprint(v), version: v})
		}
		e.insertNode(nd)
	}
	hold(a, "self-b", "b:7946", b.self.generation, b.self.maxVersion)
	hold(b, "self-a", "a:7946", a.self.generation, a.self.maxVersion)
	for i := range n {
		id, addr := fmt.Sprintf("node-%05d-%x", i, r.Uint32()), fmt.Sprintf("10.%d.%d.%d:7946", i>>16, i>>8&255, i&255)
		v := uint64(1 + r.IntN(4))
		switch {
		case r.Float64() >= share:
			hold(a, id, addr, 1, v)
			hold(b, id, addr, 1, v)
		case r.IntN(4) == 0:
			hold(a, id, addr, 1, v)
		case r.IntN(3) == 0:
			hold(b, id, addr, 1, v)
		case r.IntN(2) == 0:
			hold(a, id, addr, 1, v+2)
			hold(b, id, addr, 1, v)
		default:
			hold(a, id, addr, 1, v)
			hold(b, id, addr, 1, v+1+uint64(r.IntN(3)))
		}
	}
	return a, b
}

// sameView reports whether a and b hold the same digest entries.
func sameView(a, b *Engine) bool { return a.fp == b.fp && len(a.sorted) == len(b.sorted) }

// exchange runs one exchange opened by a's Sum to b and returns the
// number of datagrams and bytes it took. Datagrams to anyone else (pushes of what
// was learnt) are dropped.
func exchange(tb testing.TB, a, b *Engine, now time.Time) (count, bytes int) {
	tb.Helper()
	a.sendSum("b:7946", false)
	byAddr := map[string]*Engine{"a:7946": a, "b:7946": b}
	from := map[*Engine]string{a: "a:7946", b: "b:7946"}
	for moved := true; moved; {
		moved = false
		for _, e := range []*Engine{a, b} {
			for _, d := range e.Ready().Datagrams {
				require.LessOrEqual(tb, len(d.Data), e.cfg.MaxPacketSize)
				if to := byAddr[d.To]; to != nil {
					h, _, err := wire.ParseHeader(d.Data)
					require.NoError(tb, err)
					if h.Type == wire.MsgPush || h.Type == wire.MsgHeartbeat {
						continue
					}
					count++
					bytes += len(d.Data)
					require.Less(tb, count, 64, "an exchange that does not end")
					to.Receive(now, from[e], d.Data)
					moved = true
				}
			}
		}
	}
	return count, bytes
}

func TestRangeReconciliationProperties(t *testing.T) {
	sizes := []int{1, 2, 10, 40, 100, 300, 1000, 3000, 10_000}
	shares := []float64{0, 0.001, 0.01, 0.1, 0.5, 1}
	if testing.Short() {
		sizes = sizes[:7]
	}
	for _, n := range sizes {
		for _, share := range shares {
			t.Run(fmt.Sprintf("n=%d/differ=%g", n, share), func(t *testing.T) {
				a, b := rangePair(t, uint64(n)+uint64(share*1000), n, share)
				differ := countDiffering(a, b)
				now := T0
				exchanges, datagrams, bytes := 0, 0, 0
				for !sameView(a, b) {
					exchanges++
					// Every exchange moves at least a datagram's worth;
					// differences beyond what a few exchanges carry take
					// one exchange per few nodes.
					require.LessOrEqual(t, exchanges, 8+differ, "views still differ")
					c, by := exchange(t, a, b, now)
					datagrams, bytes = datagrams+c, bytes+by
					now = now.Add(time.Millisecond)
				}
				// Bytes grow with the differences (times log N), not with N.
				require.LessOrEqual(t, bytes, 1500+700*differ)
				require.NoError(t, a.CheckFingerprint())
				require.NoError(t, b.CheckFingerprint())
				require.Equal(t, digestOfAll(a), digestOfAll(b))
				t.Logf("%d nodes, %d differing: %d exchanges, %d datagrams, %d bytes, %d range steps", n, differ, exchanges, datagrams, bytes, a.stats.RangesSent+b.stats.RangesSent)
			})
		}
	}
}

// countDiffering counts the nodes whose digest entries differ.
func countDiffering(a, b *Engine) int {
	da, db := digestOfAll(a), digestOfAll(b)
	count := 0
	for id, de := range da {
		if db[id] != de {
			count++
		}
	}
	for id := range db {
		if _, ok := da[id]; !ok {
			count++
		}
	}
	return count
}

func digestOfAll(e *Engine) map[string]wire.DigestEntry {
	m := make(map[string]wire.DigestEntry, len(e.sorted))
	for _, n := range e.sorted {
		m[n.id] = n.digestEntry()
	}
	return m
}
