package scuttlebutt

import (
	"cmp"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// core is the pure protocol engine, in the spirit of etcd raft's RawNode: it
// owns the cluster state and the failure detectors, takes time and input as
// arguments, and returns datagrams and events as values through ready. It
// starts no goroutine, reads no clock, touches no socket and uses no global
// randomness; every output is independent of map iteration order. The
// Scuttlebutt driver and the simulator both run it.
type core struct {
	cfg  *Config // normalized
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
	// heard first, as of the last tick; staleNext is the next to list in a
	// Syn digest (see digest.go).
	stalest   []*nodeState
	staleNext int
	idBytes   int    // total length of ids, for a quick digest size bound
	seq       uint64 // marks the nodes touched by one digest or delta build

	// leaveVersion is the version of our leave marker (0: not leaving);
	// leaveAcked is set once a peer's digest shows it holds the marker.
	leaveVersion uint64
	leaveAcked   bool

	rng *rand.Rand
	// seeds are resolved seed addresses; joinWait those awaiting an answer.
	seeds        []string
	joinWait     map[string]struct{}
	joinAnswered bool
	lastWrongCl  map[string]time.Time

	// windowParams are the detector settings shared by every peer's window.
	windowParams *windowParams

	sealer     sealer
	bodyBudget int // bytes available to a message body in one datagram

	out    []outMsg
	events []NodeEvent
	// sizes, rtts and convictions feed the histograms of Stats; synSent
	// holds when each round's Syn went out, by address, until answered.
	sizes, rtts, convictions histogram
	synSent                  map[string]int64
	changes                  []KeyChange // key changes, collected only while watchKeys
	stats                    Stats
	resets                   uint64 // resets applied, for tests
	// intervalAvg and intervalVar are moving estimates of the mean and
	// variance of heartbeat inter-arrival times over all peers, in
	// nanoseconds (see checkPeers).
	intervalAvg, intervalVar float64
	// watchKeys is set while someone subscribes to key changes.
	watchKeys bool

	// digestBuf, deltaBuf and candBuf are reused by every digest and delta
	// build: a built message is encoded before the next build.
	digestBuf []wire.DigestEntry
	deltaBuf  []wire.NodeDelta
	candBuf   []deltaCandidate
	// liveScratch and otherScratch are gossipTargets' reusable buffers.
	liveScratch, otherScratch []string
}

// outMsg is a datagram to send.
type outMsg struct {
	to   string
	data []byte
}

// grave is what is remembered of a removed node.
type grave struct {
	generation uint64
	heartbeat  uint64
	until      time.Time
}

// coreParams are the values the driver chooses for a core.
type coreParams struct {
	addr       string // advertised gossip address
	generation uint64 // incarnation, increasing across restarts
	seed       uint64 // randomness seed
	// nonces is the source of AES-GCM nonces, required when encryption is
	// on: crypto/rand.Reader in production, a seeded stream in simulation.
	nonces io.Reader
}

// newCore returns a core for cfg, which must be normalized.
func newCore(cfg *Config, p coreParams, now time.Time) (*core, error) {
	c := &core{
		cfg:         cfg,
		nodes:       make(map[string]*nodeState),
		graves:      make(map[string]grave),
		wanted:      make(map[string]struct{}),
		joinWait:    make(map[string]struct{}),
		lastWrongCl: make(map[string]time.Time),
		sizes:       newHistogram(datagramSizeBounds),
		rtts:        newHistogram(roundTripBounds),
		convictions: newHistogram(convictionPhiBounds),
		synSent:     make(map[string]int64),
		rng:         rand.New(rand.NewPCG(p.seed, p.seed^0x9e3779b97f4a7c15)),
	}
	c.windowParams = newWindowParams(cfg.FailureDetectorConfig)
	s, err := newSealer(cfg, p.nonces)
	if err != nil {
		return nil, err
	}
	c.sealer = s
	h := wire.Header{ClusterID: cfg.ClusterID}
	c.bodyBudget = cfg.MaxPacketSize - h.Size() - s.overhead()
	c.self = newNodeState(cfg.Node.ID, p.addr, p.generation)
	c.self.window.p = c.windowParams
	c.self.status = statusLive
	c.self.statusSince = c.windowParams.mono(now)
	c.insertNode(c.self)
	return c, nil
}

// ready returns and clears the datagrams to send and the events to deliver.
func (c *core) ready() ([]outMsg, []NodeEvent) {
	out, ev := c.out, c.events
	c.out, c.events = nil, nil
	return out, ev
}

// takeChanges returns and clears the key changes collected for subscribers.
func (c *core) takeChanges() []KeyChange {
	ch := c.changes
	c.changes = nil
	return ch
}

// takeJoinAnswered reports, once, that a seed answered since the last join.
func (c *core) takeJoinAnswered() bool {
	a := c.joinAnswered
	c.joinAnswered = false
	return a
}

func (c *core) insertNode(n *nodeState) {
	c.nodes[n.id] = n
	c.idBytes += len(n.id)
	i, _ := slices.BinarySearch(c.ids, n.id)
	c.ids = slices.Insert(c.ids, i, n.id)
	c.sorted = slices.Insert(c.sorted, i, n)
}

func (c *core) removeNode(n *nodeState, now time.Time) {
	delete(c.nodes, n.id)
	c.idBytes -= len(n.id)
	if i, ok := slices.BinarySearch(c.ids, n.id); ok {
		c.ids = slices.Delete(c.ids, i, i+1)
		c.sorted = slices.Delete(c.sorted, i, i+1)
	}
	c.graves[n.id] = grave{generation: n.generation, heartbeat: n.heartbeat, until: now.Add(2 * c.cfg.FailureDetectorConfig.DeadNodeGracePeriod)}
}

func (c *core) emit(t NodeEventType, n *nodeState) {
	c.events = append(c.events, NodeEvent{Event: t, Node: n.node()})
}

// tick runs one gossip round: heartbeat, failure detection, garbage
// collection, and a Syn to each chosen peer.
func (c *core) tick(now time.Time) {
	c.self.heartbeat++
	c.expireTTLs(now)
	c.checkPeers(now)
	c.collectTombstones(now)
	c.sortStalest(now)
	c.forgetUnansweredSyns(now)
	for _, addr := range c.gossipTargets() {
		c.sendSyn(addr)
		c.synSent[addr] = c.windowParams.mono(now)
	}
	c.stats.Rounds++
}

// forgetUnansweredSyns drops the send times of Syns that went unanswered
// for ten rounds: lost, or sent to a node that is gone.
func (c *core) forgetUnansweredSyns(now time.Time) {
	old := c.windowParams.mono(now.Add(-10 * c.cfg.GossipInterval))
	for a, t := range c.synSent {
		if t < old {
			delete(c.synSent, a)
		}
	}
}

// sortStalest collects the live peers whose heartbeat is late (not heard for
// twice the usual interval), oldest first, for this round's Syn digests.
// Only late peers are sorted, so a round costs O(N) plus a small sort.
func (c *core) sortStalest(now time.Time) {
	mean, _ := c.typicalInterval()
	late := c.windowParams.mono(now.Add(-2 * max(mean, c.cfg.GossipInterval)))
	c.stalest = c.stalest[:0]
	for _, n := range c.sorted {
		if n != c.self && n.status == statusLive && n.window.lastMono() < late {
			c.stalest = append(c.stalest, n)
		}
	}
	slices.SortStableFunc(c.stalest, func(a, b *nodeState) int {
		return cmp.Compare(a.window.lastMono(), b.window.lastMono())
	})
	c.staleNext = 0
}

// join records seed addresses and sends each a Syn at once. Seeds are
// retried in later rounds while no peer is live. It returns the number of
// seeds contacted: our own address is skipped.
func (c *core) join(addrs []string) int {
	k := 0
	for _, a := range addrs {
		if a == c.self.addr {
			continue
		}
		k++
		if !slices.Contains(c.seeds, a) {
			c.seeds = append(c.seeds, a)
		}
		c.joinWait[a] = struct{}{}
		c.sendSyn(a)
	}
	return k
}

// liveCount returns the number of live peers.
func (c *core) liveCount() int {
	k := 0
	for _, n := range c.sorted {
		if n != c.self && n.status == statusLive {
			k++
		}
	}
	return k
}

// gossipTargets chooses this round's peers: GossipNodes random live peers;
// with probability dead/(live+1) one node that is dead or pending, so
// partitions heal and newcomers are confirmed by direct contact; and a seed
// with probability 1/(live+1), every seed while no peer is live.
func (c *core) gossipTargets() []string {
	// The candidate lists reuse their memory from round to round.
	liveIDs, otherIDs := c.liveScratch[:0], c.otherScratch[:0]
	defer func() { c.liveScratch, c.otherScratch = liveIDs[:0], otherIDs[:0] }()
	for _, n := range c.sorted {
		switch {
		case n == c.self || n.status == statusLeft:
		case n.status == statusLive:
			liveIDs = append(liveIDs, n.addr)
		default:
			otherIDs = append(otherIDs, n.addr)
		}
	}
	targets := make([]string, 0, c.cfg.GossipNodes+2)
	k := min(c.cfg.GossipNodes, len(liveIDs))
	for i := range k { // partial Fisher-Yates
		j := i + c.rng.IntN(len(liveIDs)-i)
		liveIDs[i], liveIDs[j] = liveIDs[j], liveIDs[i]
		targets = append(targets, liveIDs[i])
	}
	if len(otherIDs) > 0 && c.rng.Float64() < float64(len(otherIDs))/float64(len(liveIDs)+1) {
		targets = appendUnique(targets, otherIDs[c.rng.IntN(len(otherIDs))])
	}
	switch {
	case len(c.seeds) == 0:
	case len(liveIDs) == 0:
		for _, s := range c.seeds {
			targets = appendUnique(targets, s)
		}
	case c.rng.Float64() < 1/float64(len(liveIDs)+1):
		targets = appendUnique(targets, c.seeds[c.rng.IntN(len(c.seeds))])
	}
	return slices.DeleteFunc(targets, func(a string) bool { return a == c.self.addr || a == "" })
}

func appendUnique(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}
