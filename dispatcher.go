package scuttlebutt

import (
	"strings"
	"sync"
	"sync/atomic"
)

// dispatchKind is the kind of a queued dispatchItem: a node event for the
// NotifyEvent, or a key change for one subscription's callback.
type dispatchKind uint8

const (
	// dispatchNode delivers item.node to NotifyEvent.
	dispatchNode dispatchKind = iota
	// dispatchKey delivers item.change to item.sub's callback.
	dispatchKey
)

// dispatchItem is one undelivered notification.
type dispatchItem struct {
	kind   dispatchKind
	seq    uint64    // push order; identifies the item while it is queued
	node   NodeEvent // payload of dispatchNode
	change KeyChange // payload of dispatchKey
	sub    *subscription
}

// subscription is one Subscribe call: a prefix and a callback, active until
// unsubscribed.
type subscription struct {
	prefix string
	fn     func(KeyChange)
	active atomic.Bool
}

// shrinkAbove is the ring size above which an emptied queue releases its
// buffer (and its index map, which grew with it) after a burst.
const shrinkAbove = 1024

// dispatcher decouples the protocol from user callbacks: push and
// pushChanges append to an unbounded FIFO queue and return at once, and a
// single goroutine delivers the queued items one at a time, in push order,
// to the NotifyEvent and to the subscriptions' callbacks.
//
// Only one thing is ever dropped: a NodeUpdate pushed for a node whose most
// recent still-queued event is already a NodeUpdate adds nothing, since the
// queued one has not been delivered yet. An item leaves the queue when its
// callback starts, so an update arriving while the callback for the previous
// one runs is kept. So while the consumer is stuck the queue grows with
// Live and Dead events only, not with the update rate: each node has at most
// one queued update after each of its other queued events.
type dispatcher struct {
	notify NotifyEvent // nil: the dispatcher does nothing

	mu       sync.Mutex
	buf      []dispatchItem    // ring buffer of queued items
	head     int               // index in buf of the oldest queued item
	count    int               // number of queued items
	nextSeq  uint64            // seq of the next queued item
	lastNode map[string]uint64 // node ID → seq of its latest queued event
	stopped  bool

	wake   chan struct{} // capacity 1; a token means items may be queued
	done   chan struct{} // closed by stop
	exited chan struct{} // closed when the delivery goroutine returns; nil if none
}

// newDispatcher returns a dispatcher delivering node events to n (nil: node
// events are ignored) and key changes to subscriptions. Its goroutine starts
// with the first queued item.
func newDispatcher(n NotifyEvent) *dispatcher {
	return &dispatcher{
		notify:   n,
		lastNode: make(map[string]uint64),
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
}

// startLocked starts the delivery goroutine once. d.mu must be held.
func (d *dispatcher) startLocked() {
	if d.exited == nil {
		d.exited = make(chan struct{})
		go d.run()
	}
}

// wakeUp tells the delivery goroutine that items may be queued.
func (d *dispatcher) wakeUp() {
	select {
	case d.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// pushChanges queues each change for every active subscription whose prefix
// it matches, in order. Like push, it never blocks and never calls user code.
func (d *dispatcher) pushChanges(subs []*subscription, changes []KeyChange) {
	if len(subs) == 0 || len(changes) == 0 {
		return
	}
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return
	}
	queued := false
	for _, ch := range changes {
		for _, sub := range subs {
			if strings.HasPrefix(ch.Key, sub.prefix) && sub.active.Load() {
				d.enqueue(dispatchItem{kind: dispatchKey, change: ch, sub: sub})
				queued = true
			}
		}
	}
	if queued {
		d.startLocked()
	}
	d.mu.Unlock()
	d.wakeUp()
}

// push queues evs for delivery, in order. It never blocks on and never calls
// user code, and is safe for concurrent use. After stop it does nothing.
func (d *dispatcher) push(evs ...NodeEvent) {
	if d.notify == nil || len(evs) == 0 {
		return
	}
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return
	}
	for _, ev := range evs {
		seq, queued := d.lastNode[ev.Node.ID]
		if queued && ev.Event == NodeUpdate && d.itemAt(seq).node.Event == NodeUpdate {
			continue // merged into the queued update
		}
		d.lastNode[ev.Node.ID] = d.nextSeq
		d.enqueue(dispatchItem{kind: dispatchNode, node: ev})
	}
	d.startLocked()
	d.mu.Unlock()
	d.wakeUp()
}

// stop ends delivery and discards the queued items. It returns at once, even
// while a callback is blocked in user code; that callback, the only one that
// may still be running or about to start, is left to return, after which the
// delivery goroutine exits. stop is idempotent and safe for concurrent use.
func (d *dispatcher) stop() {
	d.mu.Lock()
	if d.stopped {
		d.mu.Unlock()
		return
	}
	d.stopped = true
	d.buf, d.head, d.count, d.lastNode = nil, 0, 0, nil
	d.mu.Unlock()
	close(d.done)
}

// pending returns the number of queued items, excluding one being delivered.
func (d *dispatcher) pending() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.count
}

// run is the delivery goroutine.
func (d *dispatcher) run() {
	defer close(d.exited)
	for {
		it, ok := d.pop()
		if !ok {
			select {
			case <-d.wake:
				continue
			case <-d.done:
				return
			}
		}
		d.deliver(it)
	}
}

// deliver calls user code for one item.
func (d *dispatcher) deliver(it dispatchItem) {
	switch it.kind {
	case dispatchNode:
		switch n := d.notify.(type) {
		case *ChannelEvent:
			select { // abandoned at stop: a channel nobody reads leaks nothing
			case n.Ch <- it.node:
			case <-d.done:
			}
			return
		case NodeEventNotifier:
			n.NotifyNodeEvent(it.node)
			return
		}
		switch it.node.Event {
		case NodeLive:
			d.notify.NotifyLive(it.node.Node)
		case NodeDead:
			d.notify.NotifyDead(it.node.Node)
		case NodeUpdate:
			d.notify.NotifyUpdate(it.node.Node)
		}
	case dispatchKey:
		if it.sub.active.Load() {
			it.sub.fn(it.change)
		}
	}
}

// pop removes and returns the oldest queued item; false when the queue is
// empty or the dispatcher is stopped.
func (d *dispatcher) pop() (dispatchItem, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped || d.count == 0 {
		return dispatchItem{}, false
	}
	it := d.buf[d.head]
	d.buf[d.head] = dispatchItem{} // drop references held by the slot
	d.head = (d.head + 1) % len(d.buf)
	d.count--
	if it.kind == dispatchNode {
		if seq, ok := d.lastNode[it.node.Node.ID]; ok && seq == it.seq {
			delete(d.lastNode, it.node.Node.ID)
		}
	}
	if d.count == 0 && len(d.buf) > shrinkAbove {
		// Every index entry points at a queued item, so the map is empty;
		// replace it too, since Go maps never shrink.
		d.buf, d.head = nil, 0
		d.lastNode = make(map[string]uint64)
	}
	return it, true
}

// enqueue appends it, assigning its seq. d.mu must be held.
func (d *dispatcher) enqueue(it dispatchItem) {
	if d.count == len(d.buf) {
		d.grow()
	}
	it.seq = d.nextSeq
	d.nextSeq++
	d.buf[(d.head+d.count)%len(d.buf)] = it
	d.count++
}

// itemAt returns the queued item with the given seq. d.mu must be held and
// the item must still be queued.
func (d *dispatcher) itemAt(seq uint64) *dispatchItem {
	oldest := d.nextSeq - uint64(d.count)
	return &d.buf[(d.head+int(seq-oldest))%len(d.buf)]
}

// grow doubles the ring, moving the queued items to its start.
func (d *dispatcher) grow() {
	buf := make([]dispatchItem, max(2*len(d.buf), 16))
	n := copy(buf, d.buf[d.head:])
	copy(buf[n:], d.buf[:d.head])
	d.buf, d.head = buf, 0
}
