package scuttlebutt_test

import (
	"context"
	"fmt"
	"log"
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt"
)

// Two nodes on an in-memory network: node-b joins node-a, node-a sets a key
// and node-b learns it by gossip. With the default UDP transport, set
// Config.ListenAddr instead of Config.Transport.
func ExampleNewScuttlebutt() {
	network := scuttlebutt.NewMemNetwork(1)
	start := func(id string, metadata map[string]string) *scuttlebutt.Scuttlebutt {
		transport, err := network.NewTransport(id + ":7946")
		if err != nil {
			log.Fatal(err)
		}
		cfg := scuttlebutt.DefaultLANConfig()
		cfg.Node.ID = id
		cfg.Transport = transport
		cfg.GossipInterval = 50 * time.Millisecond
		sb, err := scuttlebutt.NewScuttlebutt(cfg, metadata)
		if err != nil {
			log.Fatal(err)
		}
		return sb
	}
	a := start("node-a", nil)
	defer a.Shutdown()
	b := start("node-b", map[string]string{"role": "web"})
	defer b.Shutdown()

	if err := b.Join([]string{a.LocalNode().GossipPublicAddress}); err != nil {
		log.Fatal(err)
	}
	if err := a.Set("greeting", "hello"); err != nil {
		log.Fatal(err)
	}

	// Gossip is asynchronous: poll until node-b holds the key and node-a
	// holds node-b's metadata.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		_, gotGreeting := b.Get("node-a", "greeting")
		role, _ := a.Get("node-b", "role")
		if gotGreeting && role == "web" && len(b.LiveNodes()) == 1 {
			break
		}
	}
	greeting, _ := b.Get("node-a", "greeting")
	fmt.Println("node-b sees node-a's greeting:", greeting)
	state, _ := a.NodeState("node-b")
	fmt.Println("node-a sees node-b's keys:", state)
	fmt.Println("live peers of node-b:", nodeIDs(b.LiveNodes()))
	// Output:
	// node-b sees node-a's greeting: hello
	// node-a sees node-b's keys: map[role:web]
	// live peers of node-b: [node-a]
}

// Subscribe reports the key changes of every node, local or remote, under a
// prefix.
func ExampleScuttlebutt_Subscribe() {
	network := scuttlebutt.NewMemNetwork(2)
	a := startExampleNode(network, "node-a", nil)
	defer a.Shutdown()
	b := startExampleNode(network, "node-b", nil)
	defer b.Shutdown()

	changes := make(chan scuttlebutt.KeyChange, 16)
	unsubscribe := b.Subscribe("svc/", func(c scuttlebutt.KeyChange) { changes <- c })
	defer unsubscribe()
	if err := b.Join([]string{a.LocalNode().GossipPublicAddress}); err != nil {
		log.Fatal(err)
	}

	next := func() {
		select {
		case c := <-changes:
			if c.Deleted {
				fmt.Println(c.Node.ID, c.Key, "deleted")
			} else {
				fmt.Println(c.Node.ID, c.Key, "=", c.Value)
			}
		case <-time.After(10 * time.Second):
			fmt.Println("timed out")
		}
	}
	_ = a.Set("svc/api", "10.0.0.1:8080")
	_ = a.Set("color", "blue") // not under "svc/": not reported
	next()
	_ = a.Delete("svc/api")
	next()
	// Output:
	// node-a svc/api = 10.0.0.1:8080
	// node-a svc/api deleted
}

// A node that leaves is reported dead by its peers at once, rather than after
// the failure detector's timeout.
func ExampleScuttlebutt_Leave() {
	network := scuttlebutt.NewMemNetwork(3)
	a := startExampleNode(network, "node-a", nil)
	b := startExampleNode(network, "node-b", nil)
	defer b.Shutdown()
	if err := b.Join([]string{a.LocalNode().GossipPublicAddress}); err != nil {
		log.Fatal(err)
	}
	// Leave waits for a live peer to acknowledge: let both see each other.
	waitUntil(func() bool { return len(a.LiveNodes()) == 1 && len(b.LiveNodes()) == 1 })

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := a.Leave(ctx); err != nil {
		log.Fatal(err)
	}
	waitUntil(func() bool { return len(b.DeadNodes()) == 1 })
	fmt.Println("dead peers of node-b:", nodeIDs(b.DeadNodes()))
	fmt.Println("live peers of node-b:", nodeIDs(b.LiveNodes()))
	fmt.Println("node-a after Leave:", a.Set("k", "v"))
	// Output:
	// dead peers of node-b: [node-a]
	// live peers of node-b: []
	// node-a after Leave: scuttlebutt: shut down
}

// ChannelEvent delivers membership events on a channel, whole: what
// happened, to which node, why, and to which of its generations. Give it a
// buffer, or read it promptly: a pending send holds back later events.
func ExampleChannelEvent() {
	network := scuttlebutt.NewMemNetwork(4)
	events := make(chan scuttlebutt.NodeEvent, 16)
	a := startExampleNode(network, "node-a", &scuttlebutt.ChannelEvent{Ch: events})
	defer a.Shutdown()
	b := startExampleNode(network, "node-b", nil)
	defer b.Shutdown()
	if err := b.Join([]string{a.LocalNode().GossipPublicAddress}); err != nil {
		log.Fatal(err)
	}

	select {
	case e := <-events:
		fmt.Println(e.Event, e.Node.ID, e.Reason)
		fmt.Println("generation:", e.Generation == memberGeneration(b, "node-b"))
	case <-time.After(10 * time.Second):
		fmt.Println("timed out")
	}
	// Output:
	// live node-b first seen
	// generation: true
}

// memberGeneration returns the generation sb holds of node id.
func memberGeneration(sb *scuttlebutt.Scuttlebutt, id string) uint64 {
	for _, m := range sb.Members() {
		if m.Node.ID == id {
			return m.Generation
		}
	}
	return 0
}

func ExampleDefaultLANConfig() {
	cfg := scuttlebutt.DefaultLANConfig()
	fmt.Println("cluster:", cfg.ClusterID)
	fmt.Println("listen:", cfg.ListenAddr)
	fmt.Println("interval:", cfg.GossipInterval)
	fmt.Println("fanout:", cfg.GossipNodes)
	fmt.Println("max packet:", cfg.MaxPacketSize)
	fmt.Println("phi threshold:", cfg.FailureDetectorConfig.PhiThreshold)
	fmt.Println("acceptable pause:", cfg.FailureDetectorConfig.AcceptableHeartbeatPause)
	// Output:
	// cluster: default
	// listen: 0.0.0.0:9111
	// interval: 1s
	// fanout: 3
	// max packet: 1400
	// phi threshold: 8
	// acceptable pause: 3s
}

// A partition on an in-memory network: each side convicts the other, and
// they merge again once the network heals.
func ExampleMemNetwork() {
	network := scuttlebutt.NewMemNetwork(5)
	var nodes []*scuttlebutt.Scuttlebutt
	defer func() {
		for _, sb := range nodes {
			_ = sb.Shutdown()
		}
	}()
	for _, id := range []string{"node-a", "node-b", "node-c"} {
		transport, err := network.NewTransport(id + ":7946")
		if err != nil {
			log.Fatal(err)
		}
		cfg := scuttlebutt.DefaultLANConfig()
		cfg.Node.ID = id
		cfg.Transport = transport
		cfg.GossipInterval = 50 * time.Millisecond
		// Convict after about half a second of silence.
		cfg.FailureDetectorConfig.AcceptableHeartbeatPause = 500 * time.Millisecond
		cfg.FailureDetectorConfig.MinStdDeviation = 50 * time.Millisecond
		cfg.FailureDetectorConfig.FirstHeartbeatEstimate = 50 * time.Millisecond
		sb, err := scuttlebutt.NewScuttlebutt(cfg, nil)
		if err != nil {
			log.Fatal(err)
		}
		if len(nodes) > 0 {
			if err := sb.Join([]string{"node-a:7946"}); err != nil {
				log.Fatal(err)
			}
		}
		nodes = append(nodes, sb)
	}
	a, b := nodes[0], nodes[1]
	allLive := func() bool {
		for _, sb := range nodes {
			if len(sb.LiveNodes()) != 2 {
				return false
			}
		}
		return true
	}
	waitUntil(allLive)

	network.Partition([]string{"node-a:7946"}, []string{"node-b:7946", "node-c:7946"})
	var deadOfA, deadOfB []string
	waitUntil(func() bool {
		deadOfA, deadOfB = nodeIDs(a.DeadNodes()), nodeIDs(b.DeadNodes())
		return slices.Equal(deadOfA, []string{"node-b", "node-c"}) && slices.Equal(deadOfB, []string{"node-a"})
	})
	fmt.Println("partitioned: node-a sees dead", deadOfA, "and node-b sees dead", deadOfB)

	network.Heal()
	waitUntil(allLive)
	fmt.Println("healed: node-a sees live", nodeIDs(a.LiveNodes()))
	// Output:
	// partitioned: node-a sees dead [node-b node-c] and node-b sees dead [node-a]
	// healed: node-a sees live [node-b node-c]
}

// startExampleNode starts a node on network as in ExampleNewScuttlebutt,
// gossiping every 50 ms and sending its events to events (if not nil).
func startExampleNode(network *scuttlebutt.MemNetwork, id string, events scuttlebutt.NotifyEvent) *scuttlebutt.Scuttlebutt {
	transport, err := network.NewTransport(id + ":7946")
	if err != nil {
		log.Fatal(err)
	}
	cfg := scuttlebutt.DefaultLANConfig()
	cfg.Node.ID = id
	cfg.Transport = transport
	cfg.GossipInterval = 50 * time.Millisecond
	cfg.Events = events
	sb, err := scuttlebutt.NewScuttlebutt(cfg, nil)
	if err != nil {
		log.Fatal(err)
	}
	return sb
}

// waitUntil polls cond until it holds, or gives up after 10 s: gossip is
// asynchronous, so examples wait for the state they print.
func waitUntil(cond func() bool) {
	for deadline := time.Now().Add(10 * time.Second); !cond() && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}

// nodeIDs returns the IDs of nodes, in order.
func nodeIDs(nodes []scuttlebutt.Node) []string {
	var ids []string
	for _, n := range nodes {
		ids = append(ids, n.ID)
	}
	return ids
}
