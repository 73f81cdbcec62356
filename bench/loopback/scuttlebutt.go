package main

import (
	"fmt"
	"log/slog"
	"slices"

	"github.com/scuttlego/scuttlebutt"
)

var scuttlebuttLib = library{name: "scuttlebutt", start: startScuttlebutt}

// sbCluster is a cluster of scuttlebutt nodes.
type sbCluster struct {
	nodes []*scuttlebutt.Scuttlebutt
	alive []*scuttlebutt.Scuttlebutt // nodes not killed
}

// startScuttlebutt starts n nodes with the LAN defaults on free loopback
// ports, each with its own ID and a logger that discards everything.
func startScuttlebutt(n int) (cluster, error) {
	c := &sbCluster{}
	for i := range n {
		cfg := scuttlebutt.DefaultLANConfig()
		cfg.Node.ID = fmt.Sprintf("sb-%02d", i)
		cfg.ListenAddr = "127.0.0.1:0"
		cfg.StructuredLogger = slog.New(slog.DiscardHandler)
		sb, err := scuttlebutt.NewScuttlebutt(cfg, nil)
		if err != nil {
			c.close()
			return nil, err
		}
		c.nodes = append(c.nodes, sb)
	}
	c.alive = c.nodes
	return c, nil
}

func (c *sbCluster) join() <-chan error {
	errs := make(chan error, len(c.nodes))
	seed := c.nodes[0].LocalNode().GossipPublicAddress
	for _, sb := range c.nodes[1:] {
		go func() {
			if err := sb.Join([]string{seed}); err != nil {
				errs <- err
			}
		}()
	}
	return errs
}

// allJoined: LiveNodes lists peers only, so each node must list n-1.
func (c *sbCluster) allJoined() bool {
	for _, sb := range c.nodes {
		if len(sb.LiveNodes()) != len(c.nodes)-1 {
			return false
		}
	}
	return true
}

func (c *sbCluster) publish(value string) error { return c.nodes[1].Set("k", value) }

func (c *sbCluster) allReceived(value string) bool {
	id := c.nodes[1].LocalNode().ID
	for i, sb := range c.nodes {
		if i == 1 {
			continue
		}
		if v, ok := sb.Get(id, "k"); !ok || v != value {
			return false
		}
	}
	return true
}

func (c *sbCluster) bytesSent() uint64 {
	var n uint64
	for _, sb := range c.alive {
		n += sb.Stats().BytesSent
	}
	return n
}

func (c *sbCluster) kill() error {
	last := len(c.nodes) - 1
	c.alive = c.nodes[:last]
	return c.nodes[last].Shutdown()
}

func (c *sbCluster) allDetected() bool {
	id := c.nodes[len(c.nodes)-1].LocalNode().ID
	for _, sb := range c.alive {
		if slices.ContainsFunc(sb.LiveNodes(), func(n scuttlebutt.Node) bool { return n.ID == id }) {
			return false
		}
	}
	return true
}

func (c *sbCluster) close() {
	for _, sb := range c.nodes {
		sb.Shutdown() // a second Shutdown of the killed node returns nil
	}
}
