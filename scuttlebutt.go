// Package scuttlebutt is an embeddable library for cluster membership,
// failure detection and small replicated per-node state.
//
// Each node owns a namespace of versioned key/values that only it writes.
// Nodes reconcile with random peers every GossipInterval using scuttlebutt
// anti-entropy (digest, then delta), with every datagram cut to fit
// MaxPacketSize, and feed heartbeat arrival times into a phi-accrual failure
// detector that reports peers live and dead through NotifyEvent.
//
// The protocol itself is a sans-IO engine (internal/gossip: no goroutines,
// clock, sockets or global randomness, every timer decided from the time
// it is given); Scuttlebutt is a thin driver that owns the transport, a
// timer, name resolution and an event dispatcher, so that a slow event
// consumer never delays gossip. The simulator (internal/sim) drives the same
// engine in virtual time.
package scuttlebutt

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/scuttlego/scuttlebutt/internal/gossip"
)

// Scuttlebutt is a cluster member, returned by NewScuttlebutt. All its
// methods are safe for concurrent use.
type Scuttlebutt struct {
	cfg       *Config
	transport Transport
	log       *slog.Logger
	disp      *dispatcher
	keyring   *Keyring

	mu     sync.Mutex
	eng    *gossip.Engine
	closed bool
	// closedAt is when Shutdown ran: the time of the frozen view's Stats.
	closedAt time.Time
	subs     []*subscription
	joins    []chan error  // Join calls waiting for the engine's verdict (join.go)
	leave    chan struct{} // closed when the engine reports the leave done
	wakeAt   time.Time     // when the engine wants its next Tick
	res      resolverState // seed resolution in flight (see resolve.go)
	wake     chan struct{} // capacity 1: wakeAt moved earlier
	done     chan struct{} // closed by Shutdown
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	// Logs (diaglog.go): records made under mu, written after it; the
	// rate limiter of drops and refusals; a restart's NodeDead.
	logq      []logRecord
	limiter   logLimiter
	restarted restartLog
}

// NewScuttlebutt starts a cluster member with config and initial metadata
// (this node's first key/values). It binds the transport and starts gossiping
// at once; call Join to contact a cluster. Nothing observable changes when it
// fails: the transport it bound is closed (a Transport given in the
// configuration is left open), and a Keyring given in the configuration is
// changed (SecretKey installed as its primary) only once everything else
// succeeded.
func NewScuttlebutt(config *Config, metadata map[string]string) (*Scuttlebutt, error) {
	cfg, err := config.normalized()
	if err != nil {
		return nil, err
	}
	kr := cfg.Keyring
	if kr == nil && len(cfg.SecretKey) > 0 {
		if kr, err = NewKeyring(nil, cfg.SecretKey); err != nil {
			return nil, configError("SecretKey: %v", err)
		}
	}
	gcfg := cfg.engineConfig(kr)
	if err := gcfg.Validate(); err != nil {
		return nil, err
	}
	tr := cfg.Transport
	if tr == nil {
		u, err := NewUDPTransport(cfg.ListenAddr)
		if err != nil {
			return nil, err
		}
		tr = u
	}
	sb, err := start(cfg, gcfg, tr, kr, metadata)
	if err != nil {
		if cfg.Transport == nil {
			_ = tr.Close()
		}
		return nil, err
	}
	return sb, nil
}

// start builds the engine and, once nothing can fail any more, installs
// the secret key and starts the loops.
func start(cfg *Config, gcfg gossip.Config, tr Transport, kr *Keyring, metadata map[string]string) (*Scuttlebutt, error) {
	addr := cfg.Node.GossipPublicAddress
	if addr == "" {
		a, err := advertiseAddr(tr.LocalAddr())
		if err != nil {
			return nil, err
		}
		addr = a
	}
	var seed [8]byte
	_, _ = rand.Read(seed[:])
	now := time.Now()
	eng, err := gossip.New(gcfg, gossip.Params{
		Addr: addr, Generation: uint64(now.UnixNano()), Seed: binary.LittleEndian.Uint64(seed[:]),
		Nonces: rand.Reader, Now: now,
	})
	if err != nil {
		return nil, err
	}
	if err := eng.SetAll(now, metadata); err != nil {
		return nil, err
	}
	if cfg.Keyring != nil && len(cfg.SecretKey) > 0 {
		// Validated keys: neither call can fail.
		_ = kr.AddKey(cfg.SecretKey)
		_ = kr.UseKey(cfg.SecretKey)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sb := &Scuttlebutt{
		cfg:       cfg,
		transport: tr,
		log:       newLogger(cfg).With("node", cfg.Node.ID),
		disp:      newDispatcher(cfg.Events),
		keyring:   kr,
		eng:       eng,
		wake:      make(chan struct{}, 1),
		done:      make(chan struct{}),
		cancel:    cancel,
		limiter:   logLimiter{every: logEvery},
	}
	sb.res.ctx = ctx
	sb.mu.Lock()
	out := sb.takeReady()
	logs := sb.takeLogs()
	sb.mu.Unlock()
	sb.writeLogs(logs)
	sb.send(out)
	sb.wg.Add(2)
	go sb.readLoop()
	go sb.timerLoop()
	return sb, nil
}

// step runs fn on the engine under the lock, does what the engine asks
// (events to the dispatcher, requests to their waiters, a new wake-up time
// to the timer loop) and writes the logs and sends the datagrams after
// unlocking. It reports false, without running fn, after Shutdown.
func (sb *Scuttlebutt) step(fn func(e *gossip.Engine, now time.Time)) bool {
	sb.mu.Lock()
	if sb.closed {
		sb.mu.Unlock()
		return false
	}
	fn(sb.eng, time.Now())
	out := sb.takeReady()
	logs := sb.takeLogs()
	sb.mu.Unlock()
	sb.writeLogs(logs)
	sb.send(out)
	return true
}

// takeReady takes the engine's Ready and does all of it but the sending,
// which it returns. sb.mu must be held.
func (sb *Scuttlebutt) takeReady() []gossip.Datagram {
	var out []gossip.Datagram
	for {
		rd := sb.eng.Ready()
		out = append(out, rd.Datagrams...)
		rs := sb.handle(&rd)
		if rs == nil {
			return out
		}
		// Answered at once: the engine acts on it now (a join's Syns).
		sb.eng.SeedsResolved(time.Now(), rs)
	}
}

// handle does what one Ready asks but the sending, and returns the answer
// to its Resolve when it could give it at once. sb.mu must be held.
func (sb *Scuttlebutt) handle(rd *gossip.Ready) []gossip.Resolution {
	sb.dispatch(rd.Events)
	if len(rd.Notices) > 0 {
		sb.logNotices(rd.Notices, time.Now())
	}
	if rd.JoinDone {
		for _, ch := range sb.joins {
			ch <- rd.JoinErr // buffered: never blocks
		}
		sb.joins = nil
	}
	if rd.LeaveDone && sb.leave != nil {
		close(sb.leave)
		sb.leave = nil
	}
	if !rd.WakeAt.Equal(sb.wakeAt) {
		earlier := sb.wakeAt.IsZero() || rd.WakeAt.Before(sb.wakeAt)
		sb.wakeAt = rd.WakeAt
		if earlier {
			select {
			case sb.wake <- struct{}{}:
			default:
			}
		}
	}
	if len(rd.Resolve) > 0 {
		return sb.resolveLocked(rd.Resolve)
	}
	return nil
}

// send hands datagrams to the transport.
func (sb *Scuttlebutt) send(out []gossip.Datagram) {
	debug := len(out) > 0 && sb.debugging()
	for _, d := range out {
		if debug {
			sb.logDatagram("datagram sent", "to", d.To, d.Data)
		}
		if err := sb.transport.WriteTo(d.Data, d.To); err != nil && !errors.Is(err, net.ErrClosed) {
			sb.log.Debug("send failed", "to", d.To, "err", err)
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
		if sb.debugging() {
			sb.logDatagram("datagram received", "from", from, buf[:n])
		}
		sb.step(func(e *gossip.Engine, now time.Time) {
			before := e.Drops()
			e.Receive(now, from, buf[:n])
			sb.logDrops(before, e.Drops(), from, now)
		})
	}
}

// timerLoop calls the engine's Tick when it asked to be woken.
func (sb *Scuttlebutt) timerLoop() {
	defer sb.wg.Done()
	t := time.NewTimer(time.Until(sb.wakeTime()))
	defer t.Stop()
	for {
		select {
		case <-sb.done:
			return
		case <-t.C:
			sb.step(func(e *gossip.Engine, now time.Time) { e.Tick(now) })
		case <-sb.wake:
		}
		t.Reset(time.Until(sb.wakeTime()))
	}
}

func (sb *Scuttlebutt) wakeTime() time.Time {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.wakeAt
}

func (sb *Scuttlebutt) isClosed() bool {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.closed
}

// Set sets a key of this node's namespace to value. Setting a key to its
// current value is a no-op. It returns ErrInvalidKey for an empty key or one
// longer than MaxKeyLength, ErrTooLarge for an entry that could never fit
// in one datagram, and ErrShutdown after Shutdown.
func (sb *Scuttlebutt) Set(key, value string) error {
	return sb.write(func(e *gossip.Engine, now time.Time) error { return e.Set(now, key, value) })
}

// write runs a local change as a step.
func (sb *Scuttlebutt) write(fn func(e *gossip.Engine, now time.Time) error) error {
	var err error
	if !sb.step(func(e *gossip.Engine, now time.Time) { err = fn(e, now) }) {
		return ErrShutdown
	}
	return err
}

// Get returns the value of key in the namespace of node nodeID (this node's
// own ID included).
func (sb *Scuttlebutt) Get(nodeID, key string) (string, bool) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.eng.Get(nodeID, key)
}

// NodeState returns a copy of the user keys of node nodeID (this node's own
// ID included), and whether the node is known.
func (sb *Scuttlebutt) NodeState(nodeID string) (map[string]string, bool) {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.eng.NodeState(nodeID)
}

// LiveNodes returns the peers currently believed live, sorted by ID. The
// local node is never included.
func (sb *Scuttlebutt) LiveNodes() []Node {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return publicNodes(sb.eng.LiveNodes())
}

// DeadNodes returns the peers currently believed dead (convicted or left, and
// not yet removed after DeadNodeGracePeriod), sorted by ID.
func (sb *Scuttlebutt) DeadNodes() []Node {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return publicNodes(sb.eng.DeadNodes())
}

// LocalNode returns this node, with the address it advertises (after binding
// port 0, the chosen port).
func (sb *Scuttlebutt) LocalNode() Node {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return publicNode(sb.eng.Local())
}

// Shutdown stops gossip, closes the transport and stops event delivery
// (events not yet delivered are dropped; a callback blocked in user code is
// not waited for, and a ChannelEvent send nobody receives is abandoned).
// A second Shutdown returns nil.
//
// After Shutdown (or Leave) writes, Join and Leave return ErrShutdown, and
// the reads (Get, NodeState, LiveNodes, DeadNodes, Members, LocalNode,
// Stats) keep returning the last view the node had, frozen: nothing
// updates it any more, and peers listed live may have gone since.
func (sb *Scuttlebutt) Shutdown() error {
	sb.mu.Lock()
	if sb.closed {
		sb.mu.Unlock()
		return nil
	}
	sb.closed, sb.closedAt = true, time.Now()
	close(sb.done)
	sb.cancel()
	sb.mu.Unlock()
	err := sb.transport.Close()
	sb.wg.Wait()
	sb.disp.stop()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}
