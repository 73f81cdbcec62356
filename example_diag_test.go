package scuttlebutt_test

import (
	"bytes"
	"context"
	"errors"
	"expvar"
	"fmt"
	"log"
	"time"

	"github.com/scuttlego/scuttlebutt"
)

// SetWithTTL publishes a key that its owner deletes once the TTL has
// passed, by its own clock: a lease that ends by itself if the owner stops
// renewing it.
func ExampleScuttlebutt_SetWithTTL() {
	network := scuttlebutt.NewMemNetwork(6)
	a := startExampleNode(network, "node-a", nil)
	defer a.Shutdown()
	b := startExampleNode(network, "node-b", nil)
	defer b.Shutdown()
	if err := b.Join([]string{a.LocalNode().GossipPublicAddress}); err != nil {
		log.Fatal(err)
	}

	if err := a.SetWithTTL("lock/leader", "node-a", 500*time.Millisecond); err != nil {
		log.Fatal(err)
	}
	waitUntil(func() bool { _, ok := b.Get("node-a", "lock/leader"); return ok })
	leader, _ := b.Get("node-a", "lock/leader")
	fmt.Println("node-b sees the leader:", leader)
	waitUntil(func() bool { _, ok := b.Get("node-a", "lock/leader"); return !ok })
	_, held := b.Get("node-a", "lock/leader")
	fmt.Println("after the TTL, node-b still sees a leader:", held)
	// Output:
	// node-b sees the leader: node-a
	// after the TTL, node-b still sees a leader: false
}

// Stats returns the node's counters; PublishExpvar serves them through the
// standard expvar package, at /debug/vars wherever expvar's handler is
// mounted.
func ExampleScuttlebutt_PublishExpvar() {
	network := scuttlebutt.NewMemNetwork(7)
	a := startExampleNode(network, "node-a", nil)
	defer a.Shutdown()
	b := startExampleNode(network, "node-b", nil)
	defer b.Shutdown()
	if err := b.Join([]string{a.LocalNode().GossipPublicAddress}); err != nil {
		log.Fatal(err)
	}
	waitUntil(func() bool { return len(a.LiveNodes()) == 1 })

	s := a.Stats()
	fmt.Println("datagrams sent and received:", s.PacketsSent > 0, s.PacketsReceived > 0)
	fmt.Println("dropped:", s.DroppedMalformed+s.DroppedAuth+s.DroppedClusterMismatch+s.DroppedOversize)

	if err := a.PublishExpvar("scuttlebutt-example-node-a"); err != nil {
		log.Fatal(err)
	}
	fmt.Println("published:", expvar.Get("scuttlebutt-example-node-a") != nil)
	fmt.Println("again:", a.PublishExpvar("scuttlebutt-example-node-a"))
	// Output:
	// datagrams sent and received: true true
	// dropped: 0
	// published: true
	// again: scuttlebutt: expvar "scuttlebutt-example-node-a" is already published
}

// Rotating the key of an encrypted cluster without downtime: each step is
// applied to every node before the next one starts, so that at every
// moment every node can open what every other node sends.
func ExampleKeyring() {
	oldKey := bytes.Repeat([]byte{1}, 32)
	newKey := bytes.Repeat([]byte{2}, 32)
	network := scuttlebutt.NewMemNetwork(8)
	var nodes []*scuttlebutt.Scuttlebutt
	for _, id := range []string{"node-a", "node-b", "node-c"} {
		transport, err := network.NewTransport(id + ":7946")
		if err != nil {
			log.Fatal(err)
		}
		cfg := scuttlebutt.DefaultLANConfig()
		cfg.Node.ID = id
		cfg.Transport = transport
		cfg.GossipInterval = 50 * time.Millisecond
		cfg.SecretKey = oldKey
		sb, err := scuttlebutt.NewScuttlebutt(cfg, nil)
		if err != nil {
			log.Fatal(err)
		}
		defer sb.Shutdown()
		if len(nodes) > 0 {
			if err := sb.Join([]string{"node-a:7946"}); err != nil {
				log.Fatal(err)
			}
		}
		nodes = append(nodes, sb)
	}
	allLive := func() bool {
		for _, sb := range nodes {
			if len(sb.LiveNodes()) != 2 {
				return false
			}
		}
		return true
	}
	waitUntil(allLive)

	steps := []func(kr *scuttlebutt.Keyring) error{
		func(kr *scuttlebutt.Keyring) error { return kr.AddKey(newKey) },    // 1. accept the new key
		func(kr *scuttlebutt.Keyring) error { return kr.UseKey(newKey) },    // 2. seal with it
		func(kr *scuttlebutt.Keyring) error { return kr.RemoveKey(oldKey) }, // 3. forget the old one
	}
	for k, step := range steps {
		for _, sb := range nodes {
			if err := step(sb.Keyring()); err != nil {
				log.Fatal(err)
			}
		}
		// Before the next step, every node hears from every other after
		// this one: each writes the step, and waits until all have.
		for _, sb := range nodes {
			if err := sb.Set("rotation-step", fmt.Sprint(k)); err != nil {
				log.Fatal(err)
			}
		}
		waitUntil(func() bool {
			for _, sb := range nodes {
				for _, peer := range sb.LiveNodes() {
					if v, _ := sb.Get(peer.ID, "rotation-step"); v != fmt.Sprint(k) {
						return false
					}
				}
			}
			return true
		})
	}
	if err := nodes[1].Set("after", "rotation"); err != nil {
		log.Fatal(err)
	}
	waitUntil(func() bool { v, _ := nodes[2].Get("node-b", "after"); return v == "rotation" })
	v, _ := nodes[2].Get("node-b", "after")
	dropped := uint64(0)
	for _, sb := range nodes {
		dropped += sb.Stats().DroppedAuth
	}
	fmt.Println("keys of node-a:", len(nodes[0].Keyring().Keys()), "primary is new:", bytes.Equal(nodes[0].Keyring().PrimaryKey(), newKey))
	fmt.Println("node-c sees node-b's write:", v)
	fmt.Println("all live throughout:", allLive(), "datagrams rejected:", dropped)
	// Output:
	// keys of node-a: 1 primary is new: true
	// node-c sees node-b's write: rotation
	// all live throughout: true datagrams rejected: 0
}

// A join's error says why it failed, per seed; errors.Is tells the causes
// apart. Whatever the error, the node keeps trying in the background.
func ExampleScuttlebutt_Join_errors() {
	network := scuttlebutt.NewMemNetwork(9)
	prod, err := network.NewTransport("prod-1:7946")
	if err != nil {
		log.Fatal(err)
	}
	cfg := scuttlebutt.DefaultLANConfig()
	cfg.Node.ID, cfg.ClusterID, cfg.Transport = "prod-1", "prod", prod
	seed, err := scuttlebutt.NewScuttlebutt(cfg, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer seed.Shutdown()
	node := startExampleNode(network, "staging-1", nil) // ClusterID "default"
	defer node.Shutdown()

	report := func(err error) {
		switch {
		case err == nil:
			fmt.Println("joined")
		case errors.Is(err, scuttlebutt.ErrInvalidConfig):
			fmt.Println("bad seed address:", err)
		case errors.Is(err, scuttlebutt.ErrClusterMismatch):
			fmt.Println("wrong cluster:", err)
		case errors.Is(err, scuttlebutt.ErrAuthFailed):
			fmt.Println("key mismatch:", err)
		case errors.Is(err, scuttlebutt.ErrJoinTimeout):
			fmt.Println("nobody answered:", err)
		default:
			fmt.Println("join:", err)
		}
	}
	report(node.Join([]string{"prod-1"}))
	report(node.Join([]string{"prod-1:7946"}))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	report(node.JoinContext(ctx, []string{"nobody:7946"}))
	// Output:
	// bad seed address: scuttlebutt: invalid config: seed "prod-1" is not host:port: missing port in address
	// wrong cluster: scuttlebutt: every seed refused this node: seed "prod-1:7946": answered for cluster "prod", this node is in "default" (ClusterID)
	// nobody answered: scuttlebutt: no seed answered by the context's deadline: context deadline exceeded: seed "nobody:7946": no answer
}

// Members shows everything a node knows, itself included, sorted by ID.
func ExampleScuttlebutt_Members() {
	network := scuttlebutt.NewMemNetwork(10)
	a := startExampleNode(network, "node-a", nil)
	defer a.Shutdown()
	b := startExampleNode(network, "node-b", nil)
	c := startExampleNode(network, "node-c", nil)
	defer c.Shutdown()
	for _, sb := range []*scuttlebutt.Scuttlebutt{b, c} {
		if err := sb.Join([]string{"node-a:7946"}); err != nil {
			log.Fatal(err)
		}
	}
	waitUntil(func() bool { return len(a.LiveNodes()) == 2 && len(b.LiveNodes()) == 2 })
	if err := b.Leave(context.Background()); err != nil {
		log.Fatal(err)
	}
	waitUntil(func() bool { return len(a.DeadNodes()) == 1 })
	for _, m := range a.Members() {
		fmt.Printf("%s %s self=%v\n", m.Node.ID, m.Status, m.Self)
	}
	// Output:
	// node-a live self=true
	// node-b left self=false
	// node-c live self=false
}
