package sim

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
	"github.com/scuttlego/scuttlebutt/internal/seal"
)

// Network describes the simulated network. The zero value is a perfect
// network with no delay.
type Network struct {
	// Latency is the mean one-way latency. Each directed link has its own
	// fixed latency, uniform in [Latency/2, 3·Latency/2] and derived from
	// the seed.
	Latency time.Duration
	// Jitter is a per-datagram extra delay, uniform in [0, Jitter).
	Jitter time.Duration
	// Loss is the probability that a datagram is lost.
	Loss float64
	// Duplicate is the probability that a datagram is delivered twice (the
	// copy with its own jitter).
	Duplicate float64
	// Reorder is the probability that a datagram is held back by up to
	// ReorderDelay, so that later datagrams overtake it.
	Reorder float64
	// ReorderDelay bounds the hold-back of reordered datagrams; 0 means
	// 10 × Latency, at least 1 ms.
	ReorderDelay time.Duration
}

// Options configure a simulation.
type Options struct {
	// Nodes is the number of node slots. Node i has ID "n%04d" and address
	// ID + ":7946", unless Names says otherwise. No node runs until started.
	Nodes int
	// Names, if set, returns the ID and address of node slot i, for runs
	// whose IDs and addresses must look like a deployment's (datagram
	// sizes and compression depend on them). They must be unique.
	Names func(i int) (id, addr string)
	// Seed decides everything random: phases, latencies, losses and the
	// seeds of the cores.
	Seed uint64
	// Config returns the configuration of a node. Nil means DefaultConfig.
	Config func(id string) gossip.Config
	// Net is the initial network.
	Net Network
	// AlignedRounds starts every node's rounds exactly one gossip interval
	// after it starts, instead of at a random phase within the interval, so
	// that nodes started together run their rounds together, in index
	// order. Script tests use it for readable traces.
	AlignedRounds bool
	// Hold keeps every datagram sent instead of putting it on the network:
	// it waits in Held until Deliver or Drop. Script tests use it to
	// deliver, reorder and lose datagrams one by one.
	Hold bool
	// FaultGrace is how long after a fault ends (a partition heals, a node
	// gets its packets through again, a node restarts) a NodeDead about the
	// nodes it affected is still blamed on the fault rather than counted as
	// false. 0 means AcceptableHeartbeatPause + FirstHeartbeatEstimate +
	// 10 gossip intervals of the first node started.
	FaultGrace time.Duration
}

// DefaultConfig is the configuration nodes get when Options.Config is nil:
// the library's LAN defaults (gossip.DefaultConfig) with the given ID, in
// cluster "sim".
func DefaultConfig(id string) gossip.Config {
	c := gossip.DefaultConfig()
	c.ClusterID = "sim"
	c.ID = id
	return c
}

// Start is the virtual wall-clock time at which every simulation starts.
var Start = time.Unix(1_700_000_000, 0).UTC()

// Node is one node slot of a simulation: a sequence of incarnations of the
// protocol engine with the same ID and address.
type Node struct {
	index     int
	id, addr  string
	core      *gossip.Engine
	up        bool
	leaving   bool
	paused    bool    // frozen by Pause: neither ticks nor receives
	inc       uint32  // incarnation counter; wake-ups of older ones are ignored
	wakes     []int64 // times of this incarnation's wake-ups in the queue
	gen       uint64
	interval  int64
	maxPacket int

	started   bool  // ever started
	restarts  int   // starts after the first
	startedAt int64 // time of the latest start
	stoppedAt int64 // time of the latest crash or stop
	upTotal   int64 // uptime of earlier incarnations

	bytesSent, datagramsSent uint64
	liveCount                int // live peers, from the core's events

	inLoss, outLoss float64
	faultEnd        int64 // when the node's own network fault last ended
	group           int   // partition group
	prevGroup       int   // group before the latest heal
}

// Index returns the node's slot number.
func (n *Node) Index() int { return n.index }

// ID returns the node's ID.
func (n *Node) ID() string { return n.id }

// Addr returns the node's gossip address.
func (n *Node) Addr() string { return n.addr }

// Up reports whether the node is running (a leaving node runs until it
// stops, a paused one until it crashes).
func (n *Node) Up() bool { return n.up }

// Leaving reports whether the node is running and has announced its leave.
func (n *Node) Leaving() bool { return n.up && n.leaving }

// Engine returns the running incarnation's engine, or nil.
func (n *Node) Engine() *gossip.Engine { return n.core }

// Generation returns the generation of the latest incarnation.
func (n *Node) Generation() uint64 { return n.gen }

// LiveCount returns the number of peers the node reports live, as counted
// from its NodeLive and NodeDead events.
func (n *Node) LiveCount() int { return n.liveCount }

// BytesSent returns the bytes the node sent, over all incarnations.
func (n *Node) BytesSent() uint64 { return n.bytesSent }

// DatagramsSent returns the datagrams the node sent, over all incarnations.
func (n *Node) DatagramsSent() uint64 { return n.datagramsSent }

// Sim is a deterministic simulation of a cluster. It runs the real protocol
// core of every node on one goroutine, in virtual time, over a simulated
// network; the seed decides everything, so the same seed gives the same run.
// A Sim is not safe for concurrent use.
type Sim struct {
	opts   Options
	rng    *rand.Rand
	now    int64 // ns since Start
	q      eventQueue
	nodes  []*Node
	byAddr map[string]int32
	acts   []func()
	err    error
	grace  int64

	net        Network
	cuts       map[[2]int32]struct{}
	healedAt   int64
	partitions bool

	trace     uint64
	onEvent   []func(observer *Node, ev gossip.Event)
	onReceive []func(n *Node)
	onSend    []func(from *Node, d gossip.Datagram)
	held      []Held // datagrams kept by Options.Hold

	delivered, dropped, unknownDest uint64
	maxDatagram                     int
}

// New returns a simulation with opts.Nodes node slots, none running.
func New(opts Options) *Sim {
	if opts.Config == nil {
		opts.Config = DefaultConfig
	}
	s := &Sim{
		opts:   opts,
		rng:    rand.New(rand.NewPCG(opts.Seed, 0x5eed_51a1)),
		byAddr: make(map[string]int32, opts.Nodes),
		net:    opts.Net,
		cuts:   make(map[[2]int32]struct{}),
		trace:  0xcbf29ce484222325 ^ opts.Seed,
	}
	for range opts.Nodes {
		s.AddNode()
	}
	return s
}

// AddNode adds a node slot, not running, and returns it.
func (s *Sim) AddNode() *Node {
	i := len(s.nodes)
	id := fmt.Sprintf("n%04d", i)
	addr := id + ":7946"
	if s.opts.Names != nil {
		id, addr = s.opts.Names(i)
	}
	n := &Node{index: i, id: id, addr: addr}
	s.nodes = append(s.nodes, n)
	s.byAddr[n.addr] = int32(i)
	return n
}

// Nodes returns every node slot.
func (s *Sim) Nodes() []*Node { return s.nodes }

// Node returns node slot i.
func (s *Sim) Node(i int) *Node { return s.nodes[i] }

// Len returns the number of node slots.
func (s *Sim) Len() int { return len(s.nodes) }

// Now returns the virtual time.
func (s *Sim) Now() time.Time { return Start.Add(time.Duration(s.now)) }

// Elapsed returns the virtual time since the start.
func (s *Sim) Elapsed() time.Duration { return time.Duration(s.now) }

// Rand returns the simulation's random source, for scenarios to make their
// choices from the seed.
func (s *Sim) Rand() *rand.Rand { return s.rng }

// Err returns the error that stopped the run, if any.
func (s *Sim) Err() error { return s.err }

// Fail stops the run with err (the first error wins).
func (s *Sim) Fail(err error) {
	if s.err == nil {
		s.err = err
	}
}

// TraceHash returns a hash of everything that happened so far: every
// delivered datagram (time, sender, receiver, bytes) and every event
// (time, observer, type, subject).
func (s *Sim) TraceHash() uint64 { return s.trace }

// Delivered returns the number of datagrams delivered.
func (s *Sim) Delivered() uint64 { return s.delivered }

// Dropped returns the number of datagrams the network dropped (lost, cut,
// partitioned, or sent to a node that is down).
func (s *Sim) Dropped() uint64 { return s.dropped }

// MaxDatagram returns the size of the largest datagram sent.
func (s *Sim) MaxDatagram() int { return s.maxDatagram }

// OnEvent registers fn to see every event an engine emits, KeyChanged
// included (an engine emits those only while its WatchKeys is on; the
// trace hash leaves them out).
func (s *Sim) OnEvent(fn func(observer *Node, ev gossip.Event)) {
	s.onEvent = append(s.onEvent, fn)
}

// OnReceive registers fn to run after a node handled a datagram.
func (s *Sim) OnReceive(fn func(n *Node)) { s.onReceive = append(s.onReceive, fn) }

// Start starts node i (again) with a new generation and the given metadata,
// and makes it join the seeds. Its first tick comes at a random phase within
// one gossip interval. Starting a running node restarts it.
func (s *Sim) Start(i int, seeds []string, metadata map[string]string) error {
	n := s.nodes[i]
	if n.up {
		s.Crash(i)
	}
	cfg := s.opts.Config(n.id)
	// The engine keeps a generation's low byte for its rejoin count (a
	// process starts at 0): a restart needs a higher generation above it.
	gen := uint64(Start.UnixNano()+s.now) &^ 0xff
	if gen <= n.gen {
		gen = n.gen + 0x100
	}
	seed := s.rng.Uint64()
	phase := s.rng.Int64N(int64(cfg.GossipInterval))
	if s.opts.AlignedRounds {
		phase = int64(cfg.GossipInterval)
	}
	core, err := gossip.New(cfg, gossip.Params{
		Addr: n.addr, Generation: gen, Seed: seed, Nonces: seal.SeededNonces(seed),
		Now: s.Now(), FirstRound: s.Now().Add(time.Duration(phase)),
	})
	if err == nil {
		err = core.SetAll(s.Now(), metadata)
	}
	if err != nil {
		return fmt.Errorf("sim: starting %s: %w", n.id, err)
	}
	if n.started {
		n.restarts++
	}
	n.started = true
	n.core, n.up, n.leaving, n.paused, n.gen = core, true, false, false, gen
	n.inc++
	n.wakes = n.wakes[:0]
	n.startedAt = s.now
	n.interval = int64(cfg.GossipInterval)
	n.maxPacket = cfg.MaxPacketSize
	n.liveCount = 0
	if s.grace == 0 {
		s.grace = int64(s.opts.FaultGrace)
		if s.grace == 0 {
			fd := cfg.Detector
			s.grace = int64(fd.AcceptableHeartbeatPause + fd.FirstHeartbeatEstimate + 10*cfg.GossipInterval)
		}
	}
	if len(seeds) > 0 {
		core.Join(s.Now(), seeds)
	}
	s.drain(n)
	return nil
}

// Acquaint tells every running node the ID, address and generation of
// every other running node, as a completed bootstrap would have: each node
// holds every other as a live member (no hold, no probes), its keys to be
// learnt by gossip, and its observers expect its heartbeats from the next
// round on. Starting from here saves the bootstrap phase, which scenario
// Bootstrap measures on its own (and -cold runs before any scenario).
// Until the probes of relayed nodes were spread over their hold, it left
// them pending, as relayed news; the warm-up then spent most of a run's
// wall time admitting them (a 300-node crash run: 16 s, now 3 s) with the
// same figures once measured.
func (s *Sim) Acquaint() {
	now := s.Now()
	var peers []gossip.Introduction
	for _, p := range s.nodes { // IDs ascend with the index
		if p.up {
			peers = append(peers, gossip.Introduction{ID: p.id, Addr: p.addr, Generation: p.gen})
		}
	}
	for _, n := range s.nodes {
		if !n.up {
			continue
		}
		n.core.AcquaintAll(now, peers) // its own ID is skipped
		s.drain(n)
	}
}

// Crash stops node i at once, losing its state. Datagrams it already sent
// are still delivered.
func (s *Sim) Crash(i int) {
	n := s.nodes[i]
	if !n.up {
		return
	}
	n.up, n.leaving, n.paused, n.core = false, false, false, nil
	n.stoppedAt = s.now
	n.inc++
	n.wakes = n.wakes[:0]
	n.upTotal += s.now - n.startedAt
	n.liveCount = 0
}

// Leave makes node i announce its departure; it stops once its engine
// reports the leave done (a peer acknowledged it), or after timeout.
func (s *Sim) Leave(i int, timeout time.Duration) {
	n := s.nodes[i]
	if !n.up || n.paused {
		return
	}
	n.leaving = true
	inc := n.inc
	s.After(timeout, func() {
		if n.inc == inc {
			s.Crash(i)
		}
	})
	n.core.Leave(s.Now())
	s.drain(n)
}

// Set writes a key on node i.
func (s *Sim) Set(i int, key, value string) error {
	n := s.nodes[i]
	if !n.up || n.paused {
		return fmt.Errorf("sim: set on %s, which is down or paused", n.id)
	}
	if err := n.core.Set(s.Now(), key, value); err != nil {
		return err
	}
	s.drain(n)
	return nil
}

// Delete deletes a key on node i.
func (s *Sim) Delete(i int, key string) {
	n := s.nodes[i]
	if !n.up || n.paused {
		return
	}
	_ = n.core.Delete(s.Now(), key)
	s.drain(n)
}

// After schedules fn to run after d of virtual time.
func (s *Sim) After(d time.Duration, fn func()) {
	s.acts = append(s.acts, fn)
	s.q.push(event{at: s.now + int64(d), kind: evAction, act: int32(len(s.acts) - 1)})
}

// Every runs fn every d of virtual time, the first time after d, as long as
// fn returns true.
func (s *Sim) Every(d time.Duration, fn func() bool) {
	var step func()
	step = func() {
		if fn() {
			s.After(d, step)
		}
	}
	s.After(d, step)
}

// RunFor runs the simulation for d of virtual time. It stops early on error.
func (s *Sim) RunFor(d time.Duration) error {
	s.runTo(s.now + int64(d))
	return s.err
}

// RunUntil runs until cond holds, checking it now and then every step, for
// at most limit. It reports whether cond held.
func (s *Sim) RunUntil(cond func() bool, step, limit time.Duration) (bool, error) {
	end := s.now + int64(limit)
	for {
		if s.err != nil {
			return false, s.err
		}
		if cond() {
			return true, nil
		}
		if s.now >= end {
			return false, nil
		}
		s.runTo(min(s.now+int64(step), end))
	}
}

func (s *Sim) runTo(t int64) {
	for s.err == nil && s.q.len() > 0 && s.q.peek() <= t {
		e := s.q.pop()
		s.now = e.at
		s.handle(&e)
	}
	if s.err == nil {
		s.now = t
	}
}

func (s *Sim) handle(e *event) {
	switch e.kind {
	case evTick:
		n := s.nodes[e.node]
		if !n.up || n.inc != e.inc {
			return
		}
		if i := slices.Index(n.wakes, e.at); i >= 0 {
			n.wakes = slices.Delete(n.wakes, i, i+1)
		}
		if n.paused {
			return // Resume ticks it
		}
		n.core.Tick(s.Now())
		s.drain(n)
	case evDeliver:
		s.deliver(e)
	case evAction:
		fn := s.acts[e.act]
		s.acts[e.act] = nil
		fn()
	}
}

// drain does what node n's engine asks, as a driver must: events go to the
// observers and the trace, datagrams to the network, seed names are
// resolved (addresses are names here), a finished leave stops the node, and
// the engine's next wake-up is scheduled.
func (s *Sim) drain(n *Node) {
	for n.up {
		rd := n.core.Ready()
		for _, ev := range rd.Events {
			if ev.Type != gossip.KeyChanged { // key changes are not traced
				s.mixInt(uint64(s.now))
				s.mixInt(uint64(n.index)<<8 | uint64(ev.Type))
				s.mixString(ev.Node.ID)
			}
			switch ev.Type {
			case gossip.NodeLive:
				n.liveCount++
			case gossip.NodeDead:
				n.liveCount--
			}
			for _, fn := range s.onEvent {
				fn(n, ev)
			}
		}
		for _, d := range rd.Datagrams {
			s.send(n, d)
		}
		if rd.LeaveDone && n.leaving {
			s.Crash(n.index)
			return
		}
		if len(rd.Resolve) > 0 {
			rs := make([]gossip.Resolution, len(rd.Resolve))
			for i, name := range rd.Resolve {
				rs[i] = gossip.Resolution{Name: name, Addr: name}
			}
			n.core.SeedsResolved(s.Now(), rs)
			continue // resolving may have produced more to drain
		}
		s.scheduleWake(n, rd.WakeAt)
		return
	}
}

// scheduleWake queues a wake-up of n's engine at t, unless one is queued.
func (s *Sim) scheduleWake(n *Node, t time.Time) {
	at := max(int64(t.Sub(Start)), s.now)
	if slices.Contains(n.wakes, at) {
		return
	}
	n.wakes = append(n.wakes, at)
	s.q.push(event{at: at, kind: evTick, node: int32(n.index), inc: n.inc})
}

// send puts one datagram on the network.
func (s *Sim) send(n *Node, d gossip.Datagram) {
	size := len(d.Data)
	if size > n.maxPacket {
		s.Fail(fmt.Errorf("sim: %s sent a %d-byte datagram to %s, over MaxPacketSize %d", n.id, size, d.To, n.maxPacket))
		return
	}
	s.maxDatagram = max(s.maxDatagram, size)
	n.bytesSent += uint64(size)
	n.datagramsSent++
	for _, fn := range s.onSend {
		fn(n, d)
	}
	if s.opts.Hold {
		s.held = append(s.held, Held{From: n.index, To: d.To, Data: d.Data, At: s.Elapsed()})
		return
	}
	to, ok := s.byAddr[d.To]
	if !ok {
		s.unknownDest++
		s.dropped++
		return
	}
	if (s.net.Loss > 0 && s.rng.Float64() < s.net.Loss) || (n.outLoss > 0 && s.rng.Float64() < n.outLoss) {
		s.dropped++
		return
	}
	s.q.push(event{at: s.now + s.delay(n.index, int(to)), kind: evDeliver, node: to, from: int32(n.index), data: d.Data})
	if s.net.Duplicate > 0 && s.rng.Float64() < s.net.Duplicate {
		s.q.push(event{at: s.now + s.delay(n.index, int(to)), kind: evDeliver, node: to, from: int32(n.index), data: d.Data})
	}
}

// delay returns the transit time of one datagram from a to b.
func (s *Sim) delay(a, b int) int64 {
	lat := int64(s.net.Latency)
	var d int64
	if lat > 0 {
		// The link's own latency, fixed for the run.
		h := mix64(s.opts.Seed ^ uint64(a)<<32 ^ uint64(b))
		d = lat/2 + int64(h%uint64(lat+1))
	}
	if s.net.Jitter > 0 {
		d += s.rng.Int64N(int64(s.net.Jitter))
	}
	if s.net.Reorder > 0 && s.rng.Float64() < s.net.Reorder {
		rd := int64(s.net.ReorderDelay)
		if rd <= 0 {
			rd = max(10*lat, int64(time.Millisecond))
		}
		d += s.rng.Int64N(rd)
	}
	return d
}

func (s *Sim) deliver(e *event) {
	n := s.nodes[e.node]
	from := s.nodes[e.from]
	if !n.up || n.paused || n.group != from.group || (n.inLoss > 0 && s.rng.Float64() < n.inLoss) {
		s.dropped++
		return
	}
	if len(s.cuts) > 0 {
		if _, cut := s.cuts[[2]int32{e.from, e.node}]; cut {
			s.dropped++
			return
		}
	}
	s.delivered++
	s.mixInt(uint64(s.now))
	s.mixInt(uint64(e.from)<<32 | uint64(e.node))
	s.mixBytes(e.data)
	n.core.Receive(s.Now(), from.addr, e.data)
	s.drain(n)
	for _, fn := range s.onReceive {
		fn(n)
	}
}

// SetLoss sets the uniform loss probability.
func (s *Sim) SetLoss(p float64) { s.net.Loss = p }

// SetNodeLoss sets the probability that a datagram arriving at (in) or
// leaving (out) node i is lost.
func (s *Sim) SetNodeLoss(i int, in, out float64) {
	n := s.nodes[i]
	if n.inLoss > 0 || n.outLoss > 0 {
		n.faultEnd = s.now
	}
	n.inLoss, n.outLoss = in, out
}

// Partition splits the cluster: the nodes of groups[k] form group k+1, the
// nodes not listed group 0. Datagrams between groups are dropped, in both
// directions, including those already in flight.
func (s *Sim) Partition(groups ...[]int) {
	for _, n := range s.nodes {
		n.group = 0
	}
	for k, g := range groups {
		for _, i := range g {
			s.nodes[i].group = k + 1
		}
	}
	s.partitions = true
}

// Heal ends any partition.
func (s *Sim) Heal() {
	for _, n := range s.nodes {
		n.prevGroup, n.group = n.group, 0
	}
	if s.partitions {
		s.healedAt = s.now
	}
	s.partitions = false
}

// Cut drops every datagram from node a to node b (one direction).
func (s *Sim) Cut(a, b int) { s.cuts[[2]int32{int32(a), int32(b)}] = struct{}{} }

// Restore undoes Cut(a, b).
func (s *Sim) Restore(a, b int) { delete(s.cuts, [2]int32{int32(a), int32(b)}) }

// DeathKind classifies a NodeDead event.
type DeathKind int

const (
	// DeathTrue: the subject is down, leaving or paused.
	DeathTrue DeathKind = iota
	// DeathFault: the subject runs, but a fault cut it off from the
	// observer now or less than the fault grace ago (a partition between
	// them, one of them dropping all its packets one way, or a restart),
	// or the subject lost all its ingress: a node that hears nobody is
	// removed, as it must be.
	DeathFault
	// DeathFalse: the subject runs and reaches the observer. One-way cuts
	// of single links and partial packet loss do not make a node
	// unreachable: gossip relays around them.
	DeathFalse
)

// ClassifyDeath says whether observer reporting subject dead now is true,
// due to a fault, or false.
func (s *Sim) ClassifyDeath(observer, subject *Node) DeathKind {
	o, x := observer, subject
	switch {
	case !x.up || x.leaving || x.paused:
		return DeathTrue
	case o.group != x.group,
		o.inLoss >= 1, x.outLoss >= 1, x.inLoss >= 1,
		s.now-o.faultEnd < s.grace && o.faultEnd > 0,
		s.now-x.faultEnd < s.grace && x.faultEnd > 0,
		x.restarts > 0 && s.now-x.startedAt < s.grace,
		s.healedAt > 0 && s.now-s.healedAt < s.grace && o.prevGroup != x.prevGroup:
		return DeathFault
	}
	return DeathFalse
}

// Degraded reports whether node n currently loses some of its packets.
func (n *Node) Degraded() bool { return n.inLoss > 0 || n.outLoss > 0 }

// healthy reports whether node n never had a network fault of its own
// (per-node loss, or a pause).
func (n *Node) healthy() bool { return !n.Degraded() && !n.paused && n.faultEnd == 0 }

// Uptime returns how long node n has run, over all incarnations.
func (s *Sim) Uptime(n *Node) time.Duration {
	t := n.upTotal
	if n.up {
		t += s.now - n.startedAt
	}
	return time.Duration(t)
}

// Running returns the running nodes.
func (s *Sim) Running() []*Node {
	var ns []*Node
	for _, n := range s.nodes {
		if n.up {
			ns = append(ns, n)
		}
	}
	return ns
}

// mixing of the trace hash: a fast 64-bit multiply-xorshift, word by word.
func (s *Sim) mixInt(v uint64) { s.trace = mix64(s.trace ^ v) }

func (s *Sim) mixBytes(b []byte) {
	h := s.trace ^ uint64(len(b))
	for len(b) >= 8 {
		h = (h ^ binary.LittleEndian.Uint64(b)) * 0x9e3779b97f4a7c15
		h ^= h >> 31
		b = b[8:]
	}
	var tail [8]byte
	copy(tail[:], b)
	s.trace = mix64(h ^ binary.LittleEndian.Uint64(tail[:]))
}

func (s *Sim) mixString(str string) {
	s.mixBytes([]byte(str))
}

func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}
