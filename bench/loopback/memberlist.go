package main

import (
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/memberlist"
)

var memberlistLib = library{name: "memberlist", start: startMemberlist}

// mlCluster is a cluster of memberlist nodes.
type mlCluster struct {
	nodes     []*memberlist.Memberlist
	delegates []*mlDelegate
	alive     []*memberlist.Memberlist // nodes not killed
	sent      atomic.Uint64            // bytes sent by every node (countingTransport)
}

// startMemberlist starts n nodes with the LAN defaults on free loopback
// ports, each with a user-message delegate and logs discarded.
func startMemberlist(n int) (cluster, error) {
	c := &mlCluster{}
	for i := range n {
		d := newMLDelegate()
		cfg := memberlist.DefaultLANConfig()
		cfg.Name = fmt.Sprintf("ml-%02d", i)
		t, err := newCountingTransport(&c.sent) // on a free port
		if err != nil {
			c.close()
			return nil, err
		}
		cfg.Transport = t
		cfg.BindAddr = "127.0.0.1"
		cfg.BindPort = t.GetAutoBindPort()
		cfg.AdvertisePort = cfg.BindPort
		cfg.LogOutput = io.Discard
		cfg.Delegate = d
		m, err := memberlist.Create(cfg)
		if err != nil {
			c.close()
			return nil, err
		}
		d.setList(m)
		c.nodes = append(c.nodes, m)
		c.delegates = append(c.delegates, d)
	}
	c.alive = c.nodes
	return c, nil
}

func (c *mlCluster) join() <-chan error {
	errs := make(chan error, len(c.nodes))
	seed := c.nodes[0].LocalNode()
	addr := seed.Addr.String() + ":" + strconv.Itoa(int(seed.Port))
	for _, m := range c.nodes[1:] {
		go func() {
			if _, err := m.Join([]string{addr}); err != nil {
				errs <- err
			}
		}()
	}
	return errs
}

// allJoined: NumMembers counts the local node too, so each node must count n.
func (c *mlCluster) allJoined() bool {
	for _, m := range c.nodes {
		if m.NumMembers() != len(c.nodes) {
			return false
		}
	}
	return true
}

func (c *mlCluster) publish(value string) error {
	c.delegates[1].spread([]byte(value))
	return nil
}

func (c *mlCluster) allReceived(value string) bool {
	for i, d := range c.delegates {
		if i != 1 && d.received() != value {
			return false
		}
	}
	return true
}

func (c *mlCluster) bytesSent() uint64 { return c.sent.Load() }

func (c *mlCluster) kill() error {
	last := len(c.nodes) - 1
	c.alive = c.nodes[:last]
	return c.nodes[last].Shutdown()
}

// allDetected: Members leaves out the nodes memberlist declared dead (a
// suspect still counts as a member).
func (c *mlCluster) allDetected() bool {
	name := c.nodes[len(c.nodes)-1].LocalNode().Name
	for _, m := range c.alive {
		for _, n := range m.Members() {
			if n.Name == name {
				return false
			}
		}
	}
	return true
}

func (c *mlCluster) close() {
	for _, m := range c.nodes {
		m.Shutdown() // a second Shutdown of the killed node returns nil
	}
}

// mlDelegate spreads user messages the way memberlist applications do: its
// GetBroadcasts serves a TransmitLimitedQueue, piggybacked on memberlist's
// gossip, and NotifyMsg records what arrives. A queued message is sent only
// RetransmitMult*ceil(log10(n+1)) times (8 for 20 nodes), too few to reach
// every node from one sender, so, like memberlist's own membership messages,
// a node queues a message again the first time it receives it.
type mlDelegate struct {
	queue *memberlist.TransmitLimitedQueue

	mu    sync.Mutex
	list  *memberlist.Memberlist // nil until Create returns
	value string                 // last message received
}

func newMLDelegate() *mlDelegate {
	d := &mlDelegate{}
	d.queue = &memberlist.TransmitLimitedQueue{
		NumNodes:       d.numNodes,
		RetransmitMult: memberlist.DefaultLANConfig().RetransmitMult,
	}
	return d
}

func (d *mlDelegate) setList(m *memberlist.Memberlist) {
	d.mu.Lock()
	d.list = m
	d.mu.Unlock()
}

func (d *mlDelegate) numNodes() int {
	d.mu.Lock()
	m := d.list
	d.mu.Unlock()
	if m == nil {
		return 1
	}
	return m.NumMembers()
}

// spread queues msg for gossip, as the sender.
func (d *mlDelegate) spread(msg []byte) { d.queue.QueueBroadcast(message(msg)) }

func (d *mlDelegate) received() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.value
}

func (d *mlDelegate) NotifyMsg(b []byte) {
	d.mu.Lock()
	isNew := d.value != string(b)
	d.value = string(b) // a copy: memberlist reuses b
	d.mu.Unlock()
	if isNew {
		d.spread([]byte(string(b)))
	}
}

func (d *mlDelegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.queue.GetBroadcasts(overhead, limit)
}

func (d *mlDelegate) NodeMeta(limit int) []byte              { return nil }
func (d *mlDelegate) LocalState(join bool) []byte            { return nil }
func (d *mlDelegate) MergeRemoteState(buf []byte, join bool) {}

// message is a user message in a TransmitLimitedQueue.
type message []byte

func (m message) Invalidates(memberlist.Broadcast) bool { return false }
func (m message) Message() []byte                       { return m }
func (m message) Finished()                             {}
