package gossip

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/phi"
	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// Engine is one node's protocol, in the spirit of etcd raft's RawNode: it
// owns the cluster state and the failure detectors, takes time and input as
// arguments, and hands back everything it wants done as one Ready value. It
// starts no goroutine, reads no clock, touches no socket and uses no global
// randomness; every output is independent of map iteration order. It is not
// safe for concurrent use.
type Engine struct {
	cfg  Config // validated
	self *nodeState
	// nodes holds every known node, self included; ids is their sorted keys
	// and sorted the nodes in that order, for scans without map lookups.
	nodes  map[string]*nodeState
	ids    []string
	sorted []*nodeState
	// graves remembers removed nodes so stale gossip cannot recreate them.
	graves map[string]grave
	// wanted lists IDs seen in peers' digests whose state we lack.
	wanted  map[string]struct{}
	wantedQ []string
	// changedQ and behindQ list nodes to put in digests first (see digest.go).
	changedQ []string
	behindQ  []string
	cursor   int // rotation cursor over ids for partial digests
	// stalest lists the live peers whose heartbeat is late, least recently
	// heard first, as of the last round; staleNext is the next to list in
	// a Syn digest (see digest.go).
	stalest   []*nodeState
	staleNext int
	idBytes   int    // total length of ids, for a quick digest size bound
	seq       uint64 // marks the nodes touched by one digest or delta build

	rng       *rand.Rand
	nextRound time.Time // when the next gossip round is due
	join      joinState // seeds and the join in progress (see join.go)
	leave     leaveState
	// lastWrongCl rate-limits "wrong cluster" replies, by sender address.
	lastWrongCl map[string]time.Time

	// fd holds the detector settings shared by every peer's window.
	fd *phi.Params

	sealer     *seal.Sealer
	bodyBudget int // bytes available to a message body in one datagram

	ready Ready // what the driver has not taken yet
	stats Stats
	// sizes, rtts and convictions feed the histograms of Stats; synSent
	// holds when each round's Syn went out, by address, until answered.
	sizes, rtts, convictions histogram
	synSent                  map[string]int64
	resets                   uint64 // resets applied, for tests
	// intervalAvg and intervalVar are moving estimates of the mean and
	// variance of heartbeat inter-arrival times over all peers, in
	// nanoseconds (see checkPeers).
	intervalAvg, intervalVar float64
	// watchKeys is set while the driver wants KeyChanged events.
	watchKeys bool

	// digestBuf, deltaBuf and candBuf are reused by every digest and delta
	// build: a built message is encoded before the next build.
	digestBuf []wire.DigestEntry
	deltaBuf  []wire.NodeDelta
	candBuf   []deltaCandidate
	// liveScratch and otherScratch are gossipTargets' reusable buffers.
	liveScratch, otherScratch []string
}

// Ready is everything the engine wants its driver to do, taken with
// (*Engine).Ready. A driver sends the datagrams, dispatches the events in
// order, resolves the names in Resolve (answering with SeedsResolved), ends
// the Join or Leave calls it is waiting on when told, and calls Tick at
// WakeAt at the latest.
type Ready struct {
	// Datagrams to send, in order.
	Datagrams []Datagram
	// Events to dispatch, in order.
	Events []Event
	// Resolve lists seed names to resolve to addresses.
	Resolve []string
	// JoinDone is set when the join in progress ended: JoinErr is nil when
	// a seed answered, and wraps ErrJoinTimeout otherwise.
	JoinDone bool
	JoinErr  error
	// LeaveDone is set when a leave ended: a peer acknowledged it, or no
	// peer was live to tell.
	LeaveDone bool
	// WakeAt is when Tick must next be called: the next gossip round, or an
	// earlier retry or timeout.
	WakeAt time.Time
}

// grave is what is remembered of a removed node.
type grave struct {
	generation uint64
	heartbeat  uint64
	until      time.Time
}

// New returns the engine of one incarnation of a node. It validates cfg and
// never modifies it, nor the keyring it names.
func New(cfg Config, p Params) (*Engine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s, err := seal.New(seal.Config{MaxPacketSize: cfg.MaxPacketSize, Compress: cfg.Compression, Keyring: cfg.Keyring, Nonces: p.Nonces})
	if err != nil {
		return nil, configError("%v", err)
	}
	e := &Engine{
		cfg:         cfg,
		nodes:       make(map[string]*nodeState),
		graves:      make(map[string]grave),
		wanted:      make(map[string]struct{}),
		lastWrongCl: make(map[string]time.Time),
		sizes:       newHistogram(datagramSizeBounds),
		rtts:        newHistogram(roundTripBounds),
		convictions: newHistogram(convictionPhiBounds),
		synSent:     make(map[string]int64),
		rng:         rand.New(rand.NewPCG(p.Seed, p.Seed^0x9e3779b97f4a7c15)),
		fd:          phi.NewParams(cfg.Detector),
		sealer:      s,
		nextRound:   p.FirstRound,
	}
	if e.nextRound.IsZero() {
		e.nextRound = p.Now.Add(cfg.GossipInterval)
	}
	e.join.init()
	h := wire.Header{ClusterID: cfg.ClusterID}
	e.bodyBudget = cfg.MaxPacketSize - h.Size() - s.Overhead()
	e.self = e.newNode(cfg.ID, p.Addr, p.Generation)
	e.self.status = statusLive
	e.self.statusSince = e.fd.Mono(p.Now)
	e.insertNode(e.self)
	return e, nil
}

// Ready returns what the driver must do, and forgets it.
func (e *Engine) Ready() Ready {
	r := e.ready
	r.WakeAt = e.wakeAt()
	e.ready = Ready{}
	return r
}

// HasReady reports whether Ready would return datagrams, events or
// requests (WakeAt aside).
func (e *Engine) HasReady() bool {
	r := &e.ready
	return len(r.Datagrams) > 0 || len(r.Events) > 0 || len(r.Resolve) > 0 || r.JoinDone || r.LeaveDone
}

// wakeAt returns the earliest time something is due.
func (e *Engine) wakeAt() time.Time {
	t := e.nextRound
	for _, at := range [...]time.Time{e.join.due(), e.leave.due()} {
		if !at.IsZero() && at.Before(t) {
			t = at
		}
	}
	return t
}

// Tick tells the engine that time has passed: it runs the gossip round if
// one is due, and any due retry or timeout. Calling it early does nothing.
func (e *Engine) Tick(now time.Time) {
	if !now.Before(e.nextRound) {
		e.round(now)
		e.nextRound = e.nextRound.Add(e.cfg.GossipInterval)
		if !e.nextRound.After(now) { // the driver fell behind: skip rounds
			e.nextRound = now.Add(e.cfg.GossipInterval)
		}
	}
	e.joinTimers(now)
	e.leaveTimers(now)
}

// newNode returns the state of a node heard of, with its detector window.
func (e *Engine) newNode(id, addr string, generation uint64) *nodeState {
	n := newNodeState(id, addr, generation)
	n.window = phi.NewWindow(e.fd)
	return n
}

func (e *Engine) insertNode(n *nodeState) {
	e.nodes[n.id] = n
	e.idBytes += len(n.id)
	i, _ := slices.BinarySearch(e.ids, n.id)
	e.ids = slices.Insert(e.ids, i, n.id)
	e.sorted = slices.Insert(e.sorted, i, n)
}

func (e *Engine) removeNode(n *nodeState, now time.Time) {
	delete(e.nodes, n.id)
	e.idBytes -= len(n.id)
	if i, ok := slices.BinarySearch(e.ids, n.id); ok {
		e.ids = slices.Delete(e.ids, i, i+1)
		e.sorted = slices.Delete(e.sorted, i, i+1)
	}
	e.graves[n.id] = grave{generation: n.generation, heartbeat: n.heartbeat, until: now.Add(2 * e.cfg.DeadNodeGracePeriod)}
}

// emit queues a node event about n.
func (e *Engine) emit(t EventType, n *nodeState, r Reason) {
	e.ready.Events = append(e.ready.Events, Event{Type: t, Node: n.node(), Generation: n.generation, Reason: r})
}

// emitDatagram queues a datagram and counts it.
func (e *Engine) emitDatagram(addr string, data []byte) {
	e.stats.PacketsSent++
	e.stats.BytesSent += uint64(len(data))
	e.sizes.observe(float64(len(data)))
	e.ready.Datagrams = append(e.ready.Datagrams, Datagram{To: addr, Data: data})
}
