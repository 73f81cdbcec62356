package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
)

// startCluster starts opts.nodes nodes on 127.0.0.1, node-1 to node-N, and
// joins node-2 to node-N to node-1.
func startCluster(opts options, p *printer) ([]*node, error) {
	var nodes []*node
	for i := range opts.nodes {
		nc := nodeConfig{
			id:     fmt.Sprintf("node-%d", i+1),
			listen: loopback(opts.gossipBase, i),
			http:   loopback(opts.httpBase, i),
		}
		n, err := startNode(opts, nc, p)
		if err != nil {
			return nil, errors.Join(err, leaveAll(p, nodes))
		}
		nodes = append(nodes, n)
	}
	seed := nodes[0].sb.LocalNode().GossipPublicAddress
	for _, n := range nodes[1:] {
		n.join(p, []string{seed})
	}
	return nodes, nil
}

// loopback returns the address of the i-th node's port counted from base
// on 127.0.0.1; base 0 gives port 0, a free port.
func loopback(base, i int) string {
	port := 0
	if base != 0 {
		port = base + i
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// runCluster runs a local cluster until ctx ends, then makes every node
// leave.
func runCluster(ctx context.Context, opts options, p *printer) error {
	nodes, err := startCluster(opts, p)
	if err != nil {
		return err
	}
	p.printf("ready nodes=%d", len(nodes))
	<-ctx.Done()
	return leaveAll(p, nodes)
}
