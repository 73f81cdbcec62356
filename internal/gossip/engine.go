package gossip

import (
	"math"
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
	cursor   int    // rotation cursor over ids for partial digests
	idBytes  int    // total length of ids, for a quick digest size bound
	seq      uint64 // marks the nodes touched by one digest or delta build
	// The view's fingerprint (fingerprint.go): the sum of the nodes'
	// hashes; viewSeq counts its changes, syncSeq is viewSeq when a peer's
	// view was last found equal, at syncedAt (phi.Params.Mono).
	fp, viewSeq, syncSeq uint64
	syncedAt             int64
	// The range sums of the view (ranges.go), nil until first needed, and
	// the marks of the covered ranges of one reconciliation step.
	rt    *rangeTree
	marks []uint16

	// Monitoring (rings.go, monitor.go): the rings over the members, this
	// node's subjects and observers (recomputed when the rings change),
	// and the edges that carried heartbeats.
	rings                     ringSet
	subjectList, observerList []*nodeState
	subjectsDirty             bool
	expectDirty               bool // the subjects changed: set expectations
	edges                     []*nodeState
	expecting                 int              // subjects with an expectation set
	recent                    map[string]int64 // peers heard lately, for heartbeats' Heard
	obsScratch                []*nodeState
	lingering                 []*nodeState // dropped observers still sent heartbeats (linger.go)
	probeQ                    []*nodeState // relayed incarnations to probe (probe.go)
	transfers                 []*transfer  // state streamed to nodes that lack it (transfer.go)
	// transferAsks counts the Syns of this round that asked for a stream,
	// transferAsksBefore those of the previous round (transfer.go).
	transferAsks, transferAsksBefore int
	probeBudget                      int            // probes left this round
	probeRate                        int            // probes a round while the queue drains (probe.go)
	retiring                         []retiredAlert // alerts about replaced incarnations (monitor.go)
	// Verdicts (verdict.go): who alerts about whom, and the cut detection's
	// timers (phi.Params.Mono; 0: none).
	alerts        alertIndex
	verdictDirty  bool
	decideAt      int64
	unstable      []*nodeState // subjects between L and H at the last decision
	heldSince     int64        // when a cut was first held back for them (0: none)
	alertsAt      int64        // when the alerts last changed
	ghosts        []*nodeState // removed members still on the rings (ghosts.go)
	cutBuf        []cutState
	removedLately []removal
	// Admission (admission.go): pending incarnations, and this node's own
	// rejoin after a removal and the end of its probation (zero: none).
	pendingList     []*nodeState
	admitDue        int64 // at or before every pending admitAt (math.MaxInt64: none)
	rejoinAt        time.Time
	rejoinPartition bool  // the removal was mutual: a partition
	healedAt        int64 // when a node removed in a large cut last came back (phi.Params.Mono)
	probationEnd    time.Time
	// Pushing (push.go): this node's version pushed so far, and whether a
	// write waits to be pushed; pushedRound is pushed when this round
	// began, pushFloor when the previous one did.
	pushed                 uint64
	pushedRound, pushFloor uint64
	pushDue                bool
	pushScratch            []string
	pushPicked             []*nodeState
	pushQueue              []wire.NodeDelta // learnt from pushes, to forward
	pushHops               uint64           // the least hop count in pushQueue
	pushExcept             []string         // IDs the next push skips
	lastPush               time.Time
	forwardFresh           []*nodeState

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
	// watchKeys is set while the driver wants KeyChanged events.
	watchKeys bool
	// diag holds what diagnosis needs: refusals, conflicts, a leave's
	// audience (diag.go).
	diag diagState

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
	// Notices are for the driver's logs (diag.go).
	Notices []Notice
}

// grave is what is remembered of a removed node: the incarnation, gossip
// about which is refused, until a time.
type grave struct {
	generation uint64
	until      time.Time
	local      bool // removed by this node alone, cut off (see isolated)
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
		probeBudget: probesPerRound,
		syncedAt:    phi.NoTime,
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
		rings:       newRingSet(cfg.Observers),
		recent:      make(map[string]int64),
		alerts:      make(alertIndex),
		admitDue:    math.MaxInt64,
	}
	if e.nextRound.IsZero() {
		e.nextRound = p.Now.Add(cfg.GossipInterval)
	}
	e.join.init()
	h := wire.Header{ClusterID: cfg.ClusterID}
	e.bodyBudget = cfg.MaxPacketSize - h.Size() - s.Overhead()
	e.self = e.newNode(cfg.ID, p.Addr, p.Generation&^rejoinMask)
	e.self.status = statusLive
	e.self.statusSince = e.fd.Mono(p.Now)
	e.insertNode(e.self)
	e.rings.add(e.self)
	e.subjectsDirty = true
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
	return len(r.Datagrams) > 0 || len(r.Events) > 0 || len(r.Resolve) > 0 || r.JoinDone || r.LeaveDone || len(r.Notices) > 0
}

// wakeAt returns the earliest time something is due: the next round, a
// retry or timeout, a subject's phi crossing the threshold, the end of a
// hold or a probation, a cut that waits to settle, or pushes and state
// transfers that wait for their pace.
func (e *Engine) wakeAt() time.Time {
	t := e.nextRound
	var decide time.Time
	if e.decideAt != 0 {
		decide = e.fd.At(e.decideAt)
	}
	for _, at := range [...]time.Time{e.join.due(), e.leave.due(), e.nextConviction(), e.nextExpectation(), e.nextAdmission(), decide, e.rejoinAt, e.probationEnd, e.pushDueAt(), e.nextTransfer(), e.followUpAt()} {
		if !at.IsZero() && at.Before(t) {
			t = at
		}
	}
	return t
}

// Tick tells the engine that time has passed: it runs the gossip round if
// one is due, and whatever else is due: convictions, retries, timeouts,
// admissions. Calling it early does only what is due.
func (e *Engine) Tick(now time.Time) {
	if !now.Before(e.nextRound) {
		e.round(now)
		e.nextRound = e.nextRound.Add(e.cfg.GossipInterval)
		if !e.nextRound.After(now) { // the driver fell behind: skip rounds
			e.nextRound = now.Add(e.cfg.GossipInterval)
		}
	}
	e.checkEdges(now)
	e.joinTimers(now)
	e.leaveTimers(now)
	e.settle(now)
}

// settle finishes every input: it takes expired ghosts off the rings,
// applies the cut the alerts call for,
// admits pending incarnations whose hold is over, runs this node's rejoin
// and probation timers, and pushes what this node wrote.
func (e *Engine) settle(now time.Time) {
	if e.followUpDue(now) { // join.go
		a := e.join.followUp
		e.join.followUp, e.join.followAt = "", time.Time{}
		e.sendSyn(a)
	}
	e.expireGhosts(now)
	e.driveTransfers(now)
	e.decide(now)
	e.checkAdmissions(now)
	e.sendProbes()
	e.greetObservers(now)
	e.rejoinTimers(now)
	e.decide(now) // the rejoin may have changed what applies to this node
	if e.subjectsDirty || e.expectDirty {
		e.subjects()
		e.expectSubjects(now)
	}
	e.flushPush(now)
}

// newNode returns the state of a node heard of, with its detector window.
func (e *Engine) newNode(id, addr string, generation uint64) *nodeState {
	return newNodeState(id, addr, generation)
}

func (e *Engine) insertNode(n *nodeState) {
	e.nodes[n.id] = n
	e.idBytes += len(n.id)
	i, _ := slices.BinarySearch(e.ids, n.id)
	e.ids = slices.Insert(e.ids, i, n.id)
	e.sorted = slices.Insert(e.sorted, i, n)
	e.fingerprintInsert(n)
}

func (e *Engine) removeNode(n *nodeState, now time.Time) {
	e.noteCollected(n)
	e.unlistPending(n)
	if n.ghost {
		n.status = statusDead
		e.unhaunt(n)
	}
	if n.status == statusLive {
		e.rings.remove(n)
		e.subjectsDirty = true
	}
	e.forgetAlertsOf(n)
	e.deleteAlert(n.id, now)
	e.dropEdge(n)
	e.fingerprintRemove(n)
	delete(e.nodes, n.id)
	e.idBytes -= len(n.id)
	if i, ok := slices.BinarySearch(e.ids, n.id); ok {
		e.ids = slices.Delete(e.ids, i, i+1)
		e.sorted = slices.Delete(e.sorted, i, i+1)
	}
	e.graves[n.id] = grave{generation: n.generation, until: now.Add(2 * e.cfg.DeadNodeGracePeriod), local: n.cutLocal}
}

// emit queues a node event about n's current incarnation.
func (e *Engine) emit(t EventType, n *nodeState, r Reason) { e.emitGen(t, n, n.generation, r) }

// emitGen queues a node event about incarnation gen of n.
func (e *Engine) emitGen(t EventType, n *nodeState, gen uint64, r Reason) {
	e.ready.Events = append(e.ready.Events, Event{Type: t, Node: n.node(), Generation: gen, Reason: r})
}

// emitDatagram queues a datagram and counts it.
func (e *Engine) emitDatagram(addr string, data []byte) {
	e.stats.PacketsSent++
	e.stats.BytesSent += uint64(len(data))
	e.sizes.observe(float64(len(data)))
	e.ready.Datagrams = append(e.ready.Datagrams, Datagram{To: addr, Data: data})
}
