package scuttlebutt

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// MemInboxSize is the number of datagrams a MemTransport queues for its
// reader; a datagram arriving at a full inbox is dropped, as a UDP socket
// drops when its receive buffer is full.
const MemInboxSize = 4096

// MemNetwork is an in-memory datagram network for tests. Its transports
// behave like UDP sockets on a perfect network, and faults (random loss,
// partitions, one-way cuts) can be switched on and off while traffic flows.
// Everything is in memory, so a test cluster starts instantly, needs no
// ports and runs many nodes cheaply.
//
// A three-node test cluster, with node "a:1" isolated later on:
//
//	network := scuttlebutt.NewMemNetwork(1)
//	for _, addr := range []string{"a:1", "b:1", "c:1"} {
//		t, err := network.NewTransport(addr)
//		if err != nil {
//			return err
//		}
//		cfg := scuttlebutt.DefaultLANConfig()
//		cfg.Node.ID = addr
//		cfg.Transport = t // the node advertises t.LocalAddr()
//		sb, err := scuttlebutt.NewScuttlebutt(cfg, nil)
//		if err != nil {
//			return err
//		}
//		defer sb.Shutdown()
//		if addr != "a:1" {
//			if err := sb.Join([]string{"a:1"}); err != nil {
//				return err
//			}
//		}
//	}
//	network.Partition([]string{"a:1"}, []string{"b:1", "c:1"})
//	// ... assert that b and c see a as dead, then
//	network.Heal()
//
// Semantics: WriteTo copies the datagram and never blocks; datagrams from one
// transport to another arrive in the order sent unless dropped; a datagram to
// an address with no open transport is silently dropped, like UDP; the sender
// address reported by ReadFrom is the sending transport's LocalAddr. Use one
// MemNetwork per test. All methods are safe for concurrent use.
type MemNetwork struct {
	mu          sync.RWMutex
	transports  map[string]*MemTransport
	autoAddrs   uint64
	defaultLoss float64
	loss        map[memLink]float64  // per directed link; overrides defaultLoss
	blocked     map[memLink]struct{} // directed links cut by Cut or Partition

	rngMu sync.Mutex // nests inside mu
	rng   *rand.Rand

	sent, delivered, dropped atomic.Uint64
}

// memLink is a directed link between two addresses.
type memLink struct{ from, to string }

// memDatagram is a datagram waiting in an inbox.
type memDatagram struct {
	from string
	data []byte
}

// MemNetworkStats counts the datagrams a MemNetwork has carried. Sent equals
// Delivered plus Dropped once no WriteTo is in progress.
type MemNetworkStats struct {
	// Sent is the number of WriteTo calls on open transports that returned
	// nil.
	Sent uint64
	// Delivered is the number of datagrams queued in a receiver's inbox
	// (including those later discarded by the receiver's Close).
	Delivered uint64
	// Dropped is the number of datagrams lost to loss, a partition, a cut, an
	// unknown address or a full inbox.
	Dropped uint64
}

// NewMemNetwork returns an empty network without faults. seed drives the
// random loss decisions: the same seed and the same sequence of WriteTo calls
// drop the same datagrams. (Concurrent senders interleave in no fixed order,
// so only a sequence of calls from one goroutine is fully reproducible.)
func NewMemNetwork(seed uint64) *MemNetwork {
	return &MemNetwork{
		transports: make(map[string]*MemTransport),
		loss:       make(map[memLink]float64),
		blocked:    make(map[memLink]struct{}),
		rng:        rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
}

// NewTransport attaches a transport at addr, a "host:port"-shaped string such
// as "a:1" or "10.0.0.1:7946" (any non-empty host and port; nothing is
// resolved or bound). An empty addr assigns a unique one such as
// "mem-3:7946". Attaching to an address in use by an open transport fails
// with an error wrapping syscall.EADDRINUSE; once that transport is closed the
// address is free again, so a node can restart on it.
func (n *MemNetwork) NewTransport(addr string) (*MemTransport, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if addr == "" {
		for {
			n.autoAddrs++
			addr = fmt.Sprintf("mem-%d:7946", n.autoAddrs)
			if _, used := n.transports[addr]; !used {
				break
			}
		}
	} else {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("scuttlebutt: mem address %q: %w", addr, err)
		}
		if host == "" || port == "" {
			return nil, fmt.Errorf("scuttlebutt: mem address %q: want host:port", addr)
		}
		if _, used := n.transports[addr]; used {
			return nil, fmt.Errorf("scuttlebutt: mem address %q: %w", addr, syscall.EADDRINUSE)
		}
	}
	t := &MemTransport{
		net:   n,
		addr:  addr,
		inbox: make(chan memDatagram, MemInboxSize),
		done:  make(chan struct{}),
	}
	n.transports[addr] = t
	return t, nil
}

// SetLoss makes the directed link from→to drop each datagram with
// probability p, in [0, 1]. It overrides SetDefaultLoss for that link, so
// SetLoss(from, to, 0) keeps a link perfect under a lossy default. It panics
// if p is outside [0, 1].
func (n *MemNetwork) SetLoss(from, to string, p float64) {
	checkProbability(p)
	n.mu.Lock()
	n.loss[memLink{from, to}] = p
	n.mu.Unlock()
}

// SetDefaultLoss makes every link without its own SetLoss drop each datagram
// with probability p, in [0, 1]. It panics if p is outside [0, 1].
func (n *MemNetwork) SetDefaultLoss(p float64) {
	checkProbability(p)
	n.mu.Lock()
	n.defaultLoss = p
	n.mu.Unlock()
}

func checkProbability(p float64) {
	if !(p >= 0 && p <= 1) { // also catches NaN
		panic(fmt.Sprintf("scuttlebutt: loss probability %v outside [0, 1]", p))
	}
}

// Partition stops all traffic between the addresses in a and those in b, in
// both directions, until Heal. Traffic within each group is unaffected.
// Addresses need not have a transport yet.
func (n *MemNetwork) Partition(a, b []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, x := range a {
		for _, y := range b {
			n.blocked[memLink{x, y}] = struct{}{}
			n.blocked[memLink{y, x}] = struct{}{}
		}
	}
}

// Cut drops every datagram from from to to until Heal. The reverse direction
// still works: this models an asymmetric fault such as a one-way firewall.
func (n *MemNetwork) Cut(from, to string) {
	n.mu.Lock()
	n.blocked[memLink{from, to}] = struct{}{}
	n.mu.Unlock()
}

// Heal removes every partition, cut and loss setting, default loss included.
// Datagrams dropped before are not recovered.
func (n *MemNetwork) Heal() {
	n.mu.Lock()
	clear(n.blocked)
	clear(n.loss)
	n.defaultLoss = 0
	n.mu.Unlock()
}

// Stats returns the datagram counters. Each counter is read atomically, but
// not all three at the same instant.
func (n *MemNetwork) Stats() MemNetworkStats {
	return MemNetworkStats{
		Sent:      n.sent.Load(),
		Delivered: n.delivered.Load(),
		Dropped:   n.dropped.Load(),
	}
}

// passes decides whether a datagram on link l gets through. n.mu must be
// held (for reading at least).
func (n *MemNetwork) passes(l memLink) bool {
	if len(n.blocked) > 0 {
		if _, cut := n.blocked[l]; cut {
			return false
		}
	}
	p := n.defaultLoss
	if len(n.loss) > 0 {
		if lp, ok := n.loss[l]; ok {
			p = lp
		}
	}
	switch {
	case p <= 0:
		return true
	case p >= 1:
		return false
	}
	n.rngMu.Lock()
	r := n.rng.Float64()
	n.rngMu.Unlock()
	return r >= p
}

// MemTransport is a Transport attached to a MemNetwork, created by
// MemNetwork.NewTransport. It is safe for concurrent use.
type MemTransport struct {
	net   *MemNetwork
	addr  string
	inbox chan memDatagram
	done  chan struct{} // closed by Close

	closeOnce sync.Once
}

var _ Transport = (*MemTransport)(nil)

// LocalAddr returns the address the transport was attached at.
func (t *MemTransport) LocalAddr() string { return t.addr }

// WriteTo copies b and queues it for the transport at addr, subject to the
// network's faults. It never blocks. It returns nil for a datagram that is
// dropped (by a fault, an unknown address or a full inbox), as UDP would. A
// datagram longer than MaxPacketSizeLimit (the largest UDP payload over IPv4)
// fails. After Close it returns an error wrapping net.ErrClosed.
func (t *MemTransport) WriteTo(b []byte, addr string) error {
	n := t.net
	n.mu.RLock()
	defer n.mu.RUnlock()
	// Close removes t from the network under n.mu, so no datagram is queued
	// for a transport after its Close has returned.
	select {
	case <-t.done:
		return t.closedError("write")
	default:
	}
	if len(b) > MaxPacketSizeLimit {
		return fmt.Errorf("scuttlebutt: mem write to %s: %d-byte datagram exceeds %d bytes: %w",
			addr, len(b), MaxPacketSizeLimit, syscall.EMSGSIZE)
	}
	n.sent.Add(1)
	dst := n.transports[addr]
	if dst == nil || !n.passes(memLink{t.addr, addr}) {
		n.dropped.Add(1)
		return nil
	}
	select {
	case dst.inbox <- memDatagram{from: t.addr, data: bytes.Clone(b)}:
		n.delivered.Add(1)
	default:
		n.dropped.Add(1)
	}
	return nil
}

// ReadFrom blocks until a datagram arrives, copies it into b and returns its
// length and the sender's LocalAddr. A datagram longer than b is truncated to
// len(b). After Close it returns an error wrapping net.ErrClosed, even if
// datagrams were still queued; Close unblocks a waiting ReadFrom at once.
func (t *MemTransport) ReadFrom(b []byte) (int, string, error) {
	// Check done first: when both channels are ready, select picks at
	// random, and a closed transport must not deliver.
	select {
	case <-t.done:
		return 0, "", t.closedError("read")
	default:
	}
	select {
	case <-t.done:
		return 0, "", t.closedError("read")
	case d := <-t.inbox:
		return copy(b, d.data), d.from, nil
	}
}

// Close detaches the transport from the network, discards its queued
// datagrams and unblocks ReadFrom. Its address can then be reused. Calling
// Close again does nothing. It always returns nil.
func (t *MemTransport) Close() error {
	t.closeOnce.Do(func() {
		n := t.net
		n.mu.Lock()
		close(t.done)
		if n.transports[t.addr] == t {
			delete(n.transports, t.addr)
		}
		n.mu.Unlock()
	})
	return nil
}

func (t *MemTransport) closedError(op string) error {
	return fmt.Errorf("scuttlebutt: mem %s on %s: %w", op, t.addr, net.ErrClosed)
}
