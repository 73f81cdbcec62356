// Package scuttlebutt is an embeddable library for cluster membership,
// failure detection and small replicated per-node state.
//
// Each node owns a namespace of versioned key/values that only it writes.
// Nodes reconcile with random peers every GossipInterval using scuttlebutt
// anti-entropy (digest, then delta), with every datagram cut to fit
// MaxPacketSize, and feed heartbeat arrival times into a phi-accrual failure
// detector that reports peers live and dead through NotifyEvent.
//
// The protocol itself is a pure core (no goroutines, clock, sockets or global
// randomness); Scuttlebutt is a thin driver that owns the transport, a ticker
// and an event dispatcher, so that a slow event consumer never delays gossip.
package scuttlebutt

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// ErrJoinTimeout is returned by Join when no seed answered in time. The node
// keeps retrying the seeds in the background while no peer is live.
var ErrJoinTimeout = errors.New("scuttlebutt: no seed answered")

// Scuttlebutt is a cluster member, returned by NewScuttlebutt. All its
// methods are safe for concurrent use.
type Scuttlebutt struct {
	cfg       *Config
	transport Transport
	log       *slog.Logger
	disp      *dispatcher

	mu     sync.Mutex
	core   *core
	closed bool
	seeds  []string // as given to Join, re-resolved on each try
	subs   []*subscription

	answered   chan struct{} // a seed answered a join Syn
	seedLoopOn bool
	done       chan struct{}
	wg         sync.WaitGroup
}

// NewScuttlebutt starts a cluster member with config and initial metadata
// (this node's first key/values). It binds the transport and starts gossiping
// at once; call Join to contact a cluster.
func NewScuttlebutt(config *Config, metadata map[string]string) (*Scuttlebutt, error) {
	cfg, err := config.normalized()
	if err != nil {
		return nil, err
	}
	tr := cfg.Transport
	if tr == nil {
		u, err := NewUDPTransport(cfg.ListenAddr)
		if err != nil {
			return nil, fmt.Errorf("scuttlebutt: listen on %q: %w", cfg.ListenAddr, err)
		}
		tr = u
	}
	sb, err := start(cfg, tr, metadata)
	if err != nil {
		_ = tr.Close()
		return nil, err
	}
	return sb, nil
}

func start(cfg *Config, tr Transport, metadata map[string]string) (*Scuttlebutt, error) {
	addr := cfg.Node.GossipPublicAddress
	if addr == "" {
		a, err := advertiseAddr(tr.LocalAddr())
		if err != nil {
			return nil, fmt.Errorf("scuttlebutt: advertised address: %w", err)
		}
		addr = a
	}
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	now := time.Now()
	c, err := newCore(cfg, coreParams{addr: addr, generation: uint64(now.UnixNano()), seed: binary.LittleEndian.Uint64(seed[:]), nonces: rand.Reader}, now)
	if err != nil {
		return nil, err
	}
	if err := c.setMetadata(metadata, now); err != nil {
		return nil, err
	}
	sb := &Scuttlebutt{
		cfg:       cfg,
		transport: tr,
		log:       newLogger(cfg).With("node", cfg.Node.ID),
		disp:      newDispatcher(cfg.Events),
		core:      c,
		answered:  make(chan struct{}, 1),
		done:      make(chan struct{}),
	}
	sb.wg.Add(2)
	go sb.readLoop()
	go sb.tickLoop()
	return sb, nil
}

// step runs fn on the core under the lock, hands events to the dispatcher in
// order and sends the resulting datagrams after unlocking.
func (sb *Scuttlebutt) step(fn func(c *core, now time.Time)) {
	sb.mu.Lock()
	if sb.closed {
		sb.mu.Unlock()
		return
	}
	fn(sb.core, time.Now())
	out, events := sb.core.ready()
	answered := sb.core.takeJoinAnswered()
	sb.disp.push(events...)
	sb.disp.pushChanges(sb.subs, sb.core.takeChanges())
	sb.mu.Unlock()
	if answered {
		select {
		case sb.answered <- struct{}{}:
		default:
		}
	}
	for _, m := range out {
		if err := sb.transport.WriteTo(m.data, m.to); err != nil && !errors.Is(err, net.ErrClosed) {
			sb.log.Debug("send failed", "to", m.to, "err", err)
		}
	}
}

func (sb *Scuttlebutt) readLoop() {
	defer sb.wg.Done()
	buf := make([]byte, sb.cfg.MaxPacketSize+1) // one more byte detects oversize datagrams
	for {
		n, from, err := sb.transport.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || sb.isClosed() {
				return
			}
			// A transport error must not end gossip; back off briefly so
			// a persistent one does not spin.
			sb.log.Warn("receive failed", "err", err)
			select {
			case <-sb.done:
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		sb.step(func(c *core, now time.Time) { c.receive(now, from, buf[:n]) })
	}
}

func (sb *Scuttlebutt) tickLoop() {
	sb.every(sb.cfg.GossipInterval, func() {
		sb.step(func(c *core, now time.Time) { c.tick(now) })
	})
}

// every runs fn every d until Shutdown, then marks its goroutine done.
func (sb *Scuttlebutt) every(d time.Duration, fn func()) {
	defer sb.wg.Done()
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-sb.done:
			return
		case <-t.C:
			fn()
		}
	}
}

func (sb *Scuttlebutt) isClosed() bool {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.closed
}

// joinTimeout is how long Join waits for a seed to answer.
func (sb *Scuttlebutt) joinTimeout() time.Duration {
	return min(max(5*sb.cfg.GossipInterval, 3*time.Second), 30*time.Second)
}

// Join contacts the seed nodes ("host:port"; names are resolved on each try)
// and returns nil once one of them answered, or an error wrapping
// ErrJoinTimeout after a bounded wait (five gossip intervals, at least 3 s
// and at most 30 s). Either way the node keeps retrying the seeds in the
// background whenever it has no live peer, so a node started before its
// seeds, or cut off from the cluster, joins on its own later. An empty list,
// or one naming only this node, returns nil.
func (sb *Scuttlebutt) Join(seedNodes []string) error {
	sb.mu.Lock()
	if sb.closed {
		sb.mu.Unlock()
		return ErrShutdown
	}
	for _, s := range seedNodes {
		if !slices.Contains(sb.seeds, s) {
			sb.seeds = append(sb.seeds, s)
		}
	}
	if !sb.seedLoopOn && len(sb.seeds) > 0 {
		sb.seedLoopOn = true
		sb.wg.Add(1)
		go sb.seedLoop()
	}
	sb.mu.Unlock()
	if len(seedNodes) == 0 {
		return nil
	}
	select {
	case <-sb.answered:
	default:
	}
	deadline := time.NewTimer(sb.joinTimeout())
	defer deadline.Stop()
	retry := time.NewTicker(min(max(sb.cfg.GossipInterval/2, 50*time.Millisecond), time.Second))
	defer retry.Stop()
	var lastErr error
	for {
		addrs, err := sb.resolve(seedNodes)
		if err != nil {
			lastErr = err
		}
		contacted := 0
		sb.step(func(c *core, _ time.Time) { contacted = c.join(addrs) })
		if contacted == 0 && err == nil {
			return nil // every seed is this node: nobody to wait for
		}
		select {
		case <-sb.answered:
			return nil
		case <-sb.done:
			return ErrShutdown
		case <-deadline.C:
			if lastErr != nil {
				return fmt.Errorf("%w within %v: %w", ErrJoinTimeout, sb.joinTimeout(), lastErr)
			}
			return fmt.Errorf("%w within %v", ErrJoinTimeout, sb.joinTimeout())
		case <-retry.C:
		}
	}
}

// seedLoop re-resolves the seeds every round while no peer is live, so the
// core's background retries reach seeds whose addresses changed.
func (sb *Scuttlebutt) seedLoop() {
	sb.every(sb.cfg.GossipInterval, func() {
		sb.mu.Lock()
		lonely := !sb.closed && sb.core.liveCount() == 0
		seeds := slices.Clone(sb.seeds)
		sb.mu.Unlock()
		if !lonely {
			return
		}
		if addrs, _ := sb.resolve(seeds); len(addrs) > 0 {
			sb.step(func(c *core, _ time.Time) { c.setSeeds(addrs) })
		}
	})
}

// resolve turns seed names into transport addresses. Only the UDP transport
// resolves names; other transports take addresses as given.
func (sb *Scuttlebutt) resolve(seeds []string) ([]string, error) {
	if _, ok := sb.transport.(*UDPTransport); !ok {
		return seeds, nil
	}
	var errs []error
	addrs := make([]string, 0, len(seeds))
	for _, s := range seeds {
		a, err := net.ResolveUDPAddr("udp", s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		addrs = append(addrs, canonicalAddr(a))
	}
	return addrs, errors.Join(errs...)
}

// canonicalAddr renders a UDP address the way the UDP transport reports
// senders, so that answers can be matched to the seeds asked.
func canonicalAddr(a *net.UDPAddr) string {
	ap := a.AddrPort()
	return net.JoinHostPort(ap.Addr().Unmap().String(), fmt.Sprint(ap.Port()))
}

// Set sets a key of this node's namespace to value. Setting a key to its
// current value is a no-op. It returns ErrInvalidKey for an empty key or one
// longer than MaxKeyLength, ErrTooLarge for an entry that could never fit
// in one datagram, and ErrShutdown after Shutdown.
func (sb *Scuttlebutt) Set(key, value string) error {
	return sb.write(key, func(c *core, now time.Time) error {
		if err := c.checkEntry(key, value); err != nil {
			return err
		}
		c.set(key, value, now, 0)
		return nil
	})
}

// write runs a local change under the lock.
func (sb *Scuttlebutt) write(key string, fn func(c *core, now time.Time) error) error {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	if sb.closed {
		return ErrShutdown
	}
	return fn(sb.core, time.Now())
}

// Get returns the value of key in the namespace of node nodeID (this node's
// own ID included).
func (sb *Scuttlebutt) Get(nodeID, key string) (string, bool) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	n := sb.core.nodes[nodeID]
	if n == nil {
		return "", false
	}
	return n.get(key)
}

// NodeState returns a copy of the user keys of node nodeID (this node's own
// ID included), and whether the node is known.
func (sb *Scuttlebutt) NodeState(nodeID string) (map[string]string, bool) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	n := sb.core.nodes[nodeID]
	if n == nil {
		return nil, false
	}
	return n.userKeys(), true
}

// LiveNodes returns the peers currently believed live, sorted by ID. The
// local node is never included.
func (sb *Scuttlebutt) LiveNodes() []Node {
	return sb.peers(func(s liveness) bool { return s == statusLive })
}

// DeadNodes returns the peers currently believed dead (convicted or left, and
// not yet removed after DeadNodeGracePeriod), sorted by ID.
func (sb *Scuttlebutt) DeadNodes() []Node {
	return sb.peers(func(s liveness) bool { return s == statusDead || s == statusLeft })
}

func (sb *Scuttlebutt) peers(match func(liveness) bool) []Node {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	nodes := []Node{}
	for _, id := range sb.core.ids {
		if n := sb.core.nodes[id]; n != sb.core.self && match(n.status) {
			nodes = append(nodes, n.node())
		}
	}
	return nodes
}

// LocalNode returns this node, with the address it advertises (after binding
// port 0, the chosen port).
func (sb *Scuttlebutt) LocalNode() Node {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.core.self.node()
}

// Stats returns a snapshot of this node's counters and of each live peer's
// phi.
func (sb *Scuttlebutt) Stats() Stats {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.core.snapshotStats(time.Now())
}

// Shutdown stops gossip, closes the transport and stops event delivery
// (events not yet delivered are dropped; a callback blocked in user code is
// not waited for). A second Shutdown returns nil.
func (sb *Scuttlebutt) Shutdown() error {
	sb.mu.Lock()
	if sb.closed {
		sb.mu.Unlock()
		return nil
	}
	sb.closed = true
	close(sb.done)
	sb.mu.Unlock()
	err := sb.transport.Close()
	sb.wg.Wait()
	sb.disp.stop()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// maxFromID is the longest possible sender ID, for worst-case sizing.
var maxFromID = strings.Repeat("x", MaxIDLength)

// checkEntry validates a local key/value: the key must be a valid user key
// and the entry must fit one Ack datagram from any relaying peer, with every
// number at its widest, so that it can always be delivered.
func (c *core) checkEntry(key, value string) error {
	if key == "" || len(key) > MaxKeyLength {
		return fmt.Errorf("%w: length %d, want 1 to %d bytes", ErrInvalidKey, len(key), MaxKeyLength)
	}
	const wide = ^uint64(0)
	nd := wire.NodeDelta{
		ID: c.self.id, Addr: c.self.addr, Generation: wide, Heartbeat: wide, FromVersion: wide,
		MaxVersion: wide, GCVersion: wide, Reset: true,
		Entries: []wire.Entry{{Key: key, Value: value, Version: wide, Status: wire.StatusSet}},
	}
	if size := wire.AckOverhead(maxFromID) + wire.DeltaOverhead(1) + nd.Size(); size > c.bodyBudget {
		return fmt.Errorf("%w: %d-byte key/value needs a %d-byte body, the limit is %d", ErrTooLarge, len(key)+len(value), size, c.bodyBudget)
	}
	return nil
}

// setMetadata writes the initial key/values, in key order, after checking
// them all.
func (c *core) setMetadata(metadata map[string]string, now time.Time) error {
	keys := slices.Sorted(maps.Keys(metadata))
	for _, k := range keys {
		if err := c.checkEntry(k, metadata[k]); err != nil {
			return fmt.Errorf("scuttlebutt: metadata %q: %w", k, err)
		}
	}
	for _, k := range keys {
		c.set(k, metadata[k], now, 0)
	}
	return nil
}

// setSeeds replaces the resolved seed addresses.
func (c *core) setSeeds(addrs []string) {
	c.seeds = slices.DeleteFunc(slices.Clone(addrs), func(a string) bool { return a == c.self.addr })
}

// snapshotStats returns a copy of the counters with current phi values.
func (c *core) snapshotStats(now time.Time) Stats {
	s := c.stats
	s.DatagramSizes = c.sizes.snapshot()
	s.RoundTrips = c.rtts.snapshot()
	s.ConvictionPhi = c.convictions.snapshot()
	s.Phi = make(map[string]float64)
	for _, id := range c.ids {
		if n := c.nodes[id]; n != c.self && n.status == statusLive {
			s.Phi[id] = n.window.phi(now)
		}
	}
	return s
}
