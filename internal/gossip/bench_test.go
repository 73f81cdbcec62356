package gossip

import (
	"fmt"
	"testing"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// benchCore returns a core holding nodes peers with keys keys each, all live.
func benchCore(b *testing.B, nodes, keys int) *Engine {
	b.Helper()
	now := time.Unix(1_700_000_000, 0)
	c := newTestEngine(b, testConfig("bench-self"), "10.0.0.1:7946", 1, 1, now)
	for i := range nodes {
		n := c.newNode(fmt.Sprintf("host-%04d-1a2b3c4d", i), fmt.Sprintf("10.0.%d.%d:7946", i/250, i%250+1), uint64(1_700_000_000_000_000_000+i))
		n.status = statusLive
		n.heartbeat = uint64(1000 + i)
		for k := range keys {
			n.maxVersion++
			n.put(&kvEntry{key: fmt.Sprintf("service/key-%d", k), value: fmt.Sprintf("value-%d-%d", i, k), version: n.maxVersion})
		}
		c.insertNode(n)
	}
	return c
}

// peerDigest is the digest of a peer that lacks the last behind versions of
// every node.
func peerDigest(c *Engine, behind uint64) wire.Digest {
	d := wire.Digest{Complete: true}
	for _, id := range c.ids {
		e := c.nodes[id].digestEntry()
		e.MaxVersion -= min(e.MaxVersion, behind)
		d.Entries = append(d.Entries, e)
	}
	return d
}

func BenchmarkBuildDigest(b *testing.B) {
	for _, n := range []int{20, 1000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			c := benchCore(b, n, 5)
			budget := c.bodyBudget - wire.SynOverhead(c.self.id)
			b.ReportAllocs()
			for b.Loop() {
				d := c.buildDigest(budget, "")
				if len(d.Entries) == 0 {
					b.Fatal("empty digest")
				}
			}
		})
	}
}

// BenchmarkBuildDelta: "steady" answers a digest of the size that fits a
// datagram (36 nodes, each 2 versions behind); "joiner" answers a newcomer's
// complete one-node digest, which makes every node a candidate.
func BenchmarkBuildDelta(b *testing.B) {
	for _, n := range []int{20, 1000} {
		for _, kind := range []string{"steady", "joiner"} {
			b.Run(fmt.Sprintf("nodes=%d/%s", n, kind), func(b *testing.B) {
				c := benchCore(b, n, 5)
				d := peerDigest(c, 2)
				if kind == "joiner" {
					d.Entries = []wire.DigestEntry{{ID: "newcomer", Generation: 1}}
				} else {
					d.Complete = false
					d.Entries = d.Entries[:min(36, len(d.Entries))]
				}
				budget := c.bodyBudget - wire.AckOverhead(c.self.id)
				b.ReportAllocs()
				for b.Loop() {
					if delta := c.buildDelta(&d, budget); len(delta.Nodes) == 0 {
						b.Fatal("empty delta")
					}
				}
			})
		}
	}
}

func BenchmarkApplyDelta(b *testing.B) {
	src := benchCore(b, 30, 5)
	d := peerDigest(src, 5)
	delta := src.buildDelta(&d, src.bodyBudget-wire.AckOverhead(src.self.id))
	now := time.Unix(1_700_000_100, 0)
	b.ReportAllocs()
	for b.Loop() {
		dst := benchCore(b, 0, 0)
		dst.applyDelta(&delta, "bench-peer", now)
	}
}

// BenchmarkHandleSyn measures the whole receive path of a Syn: parse,
// decode, apply the digest, build delta and digest, encode the SynAck.
func BenchmarkHandleSyn(b *testing.B) {
	c := benchCore(b, 200, 5)
	peer := benchCore(b, 200, 5)
	peer.self.id = "bench-peer"
	for _, id := range peer.ids { // c is one version ahead on every node
		peer.nodes[id].maxVersion--
	}
	m := wire.Syn{From: "bench-peer", Digest: peer.buildDigest(peer.bodyBudget-wire.SynOverhead("bench-peer"), "")}
	h := wire.Header{Type: wire.MsgSyn, ClusterID: c.cfg.ClusterID}
	data := wire.AppendSyn(wire.AppendHeader(nil, &h), &m)
	now := time.Unix(1_700_000_100, 0)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		c.Receive(now, "10.9.9.9:7946", data)
		if out := c.Ready().Datagrams; len(out) != 1 {
			b.Fatalf("%d replies", len(out))
		}
	}
}
