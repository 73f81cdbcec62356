package scuttlebutt

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// hangGuard bounds every wait so that a broken dispatcher fails the test
// instead of hanging it. It never decides a passing outcome.
const hangGuard = 30 * time.Second

func live(id string) NodeEvent   { return NodeEvent{Event: NodeLive, Node: Node{ID: id}} }
func dead(id string) NodeEvent   { return NodeEvent{Event: NodeDead, Node: Node{ID: id}} }
func update(id string) NodeEvent { return NodeEvent{Event: NodeUpdate, Node: Node{ID: id}} }

// gatedNotify announces each call on entered, then waits for a token on
// release, so a test knows exactly which event is being delivered and can
// hold the delivery goroutine inside user code.
type gatedNotify struct {
	entered chan NodeEvent
	release chan struct{}
}

func newGatedNotify() *gatedNotify {
	return &gatedNotify{entered: make(chan NodeEvent), release: make(chan struct{})}
}

func (g *gatedNotify) call(ev NodeEvent) { g.entered <- ev; <-g.release }

func (g *gatedNotify) NotifyLive(n Node)   { g.call(NodeEvent{Event: NodeLive, Node: n}) }
func (g *gatedNotify) NotifyDead(n Node)   { g.call(NodeEvent{Event: NodeDead, Node: n}) }
func (g *gatedNotify) NotifyUpdate(n Node) { g.call(NodeEvent{Event: NodeUpdate, Node: n}) }

func recv(t *testing.T, ch <-chan NodeEvent) NodeEvent {
	t.Helper()
	select {
	case ev := <-ch:
		return ev
	case <-time.After(hangGuard):
		t.Fatal("no event delivered")
		return NodeEvent{}
	}
}

func waitClosed(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(hangGuard):
		t.Fatalf("%s did not happen", what)
	}
}

// holdDelivery pushes a gate event and returns once the delivery goroutine
// is inside the callback for it, so everything pushed afterwards stays
// queued until release is fed.
func holdDelivery(t *testing.T, d *dispatcher, g *gatedNotify, gate NodeEvent) {
	t.Helper()
	d.push(gate)
	if got := recv(t, g.entered); got != gate {
		t.Fatalf("gate: delivered %v, want %v", got, gate)
	}
}

// sentinel is pushed last; everything delivered before it is the outcome.
var sentinel = live("\x00sentinel")

// collectUntilSentinel releases the held delivery goroutine and returns the
// events delivered before the sentinel.
func collectUntilSentinel(t *testing.T, g *gatedNotify) []NodeEvent {
	t.Helper()
	close(g.release)
	var got []NodeEvent
	for {
		ev := recv(t, g.entered)
		if ev == sentinel {
			return got
		}
		got = append(got, ev)
	}
}

func requireEvents(t *testing.T, got, want []NodeEvent) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("delivered %d events:\n%v\nwant %d:\n%v", len(got), got, len(want), want)
	}
}

func requireIndexEmpty(t *testing.T, d *dispatcher) {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.count != 0 || len(d.lastNode) != 0 {
		t.Fatalf("after draining: %d queued, %d index entries, want 0", d.count, len(d.lastNode))
	}
}

func TestDispatchMerge(t *testing.T) {
	tests := []struct {
		name string
		push []NodeEvent
		want []NodeEvent
	}{
		{"update update", []NodeEvent{update("a"), update("a")}, []NodeEvent{update("a")}},
		{"update live update", []NodeEvent{update("a"), live("a"), update("a")}, []NodeEvent{update("a"), live("a"), update("a")}},
		{"update dead update", []NodeEvent{update("a"), dead("a"), update("a"), update("a")}, []NodeEvent{update("a"), dead("a"), update("a")}},
		{"live dead live", []NodeEvent{live("a"), dead("a"), live("a")}, []NodeEvent{live("a"), dead("a"), live("a")}},
		{"live live", []NodeEvent{live("a"), live("a")}, []NodeEvent{live("a"), live("a")}},
		{"dead dead", []NodeEvent{dead("a"), dead("a")}, []NodeEvent{dead("a"), dead("a")}},
		{"live update update", []NodeEvent{live("a"), update("a"), update("a")}, []NodeEvent{live("a"), update("a")}},
		{"other nodes in between",
			[]NodeEvent{update("a"), update("b"), update("a"), live("b"), update("b"), update("a"), update("b")},
			[]NodeEvent{update("a"), update("b"), live("b"), update("b")}},
		{"distinct nodes never merge",
			[]NodeEvent{update("a"), update("b"), update("c")},
			[]NodeEvent{update("a"), update("b"), update("c")}},
		{"address is not the identity",
			[]NodeEvent{{Event: NodeUpdate, Node: Node{ID: "a", GossipPublicAddress: "x:1"}}, {Event: NodeUpdate, Node: Node{ID: "a", GossipPublicAddress: "x:2"}}},
			[]NodeEvent{{Event: NodeUpdate, Node: Node{ID: "a", GossipPublicAddress: "x:1"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, variadic := range []bool{false, true} {
				g := newGatedNotify()
				d := newDispatcher(g)
				holdDelivery(t, d, g, live("gate"))
				if variadic {
					d.push(tc.push...)
				} else {
					for _, ev := range tc.push {
						d.push(ev)
					}
				}
				d.push(sentinel)
				if got, want := d.pending(), len(tc.want)+1; got != want {
					t.Fatalf("variadic=%v: %d queued, want %d", variadic, got, want)
				}
				requireEvents(t, collectUntilSentinel(t, g), tc.want)
				requireIndexEmpty(t, d)
				d.stop()
			}
		})
	}
}

func TestDispatchRepeatedUpdatesStayBounded(t *testing.T) {
	g := newGatedNotify()
	d := newDispatcher(g)
	holdDelivery(t, d, g, live("gate"))
	for range 10000 {
		d.push(update("a"))
		d.push(update("b"))
	}
	d.push(live("a"))
	for range 10000 {
		d.push(update("a"))
	}
	d.push(sentinel)
	if got := d.pending(); got != 5 {
		t.Fatalf("%d queued after 30,000 updates of two nodes, want 5", got)
	}
	requireEvents(t, collectUntilSentinel(t, g), []NodeEvent{update("a"), update("b"), live("a"), update("a")})
	requireIndexEmpty(t, d)
	d.stop()
}

func TestDispatchUpdateInFlightIsNotMerged(t *testing.T) {
	// Once a callback has started, a new update must be delivered again: the
	// user may already have read the state the first one announced.
	g := newGatedNotify()
	d := newDispatcher(g)
	holdDelivery(t, d, g, update("a"))
	d.push(update("a"), update("a"), sentinel)
	requireEvents(t, collectUntilSentinel(t, g), []NodeEvent{update("a")})
	d.stop()
}

// orderedEvents returns n events over nodes nodes in which no node ever has
// two updates in a row, so nothing may be merged.
func orderedEvents(n, nodes int) []NodeEvent {
	kinds := []NodeEventType{NodeLive, NodeUpdate, NodeDead, NodeUpdate}
	evs := make([]NodeEvent, n)
	for i := range evs {
		node := i % nodes
		evs[i] = NodeEvent{Event: kinds[(i/nodes)%len(kinds)], Node: Node{ID: fmt.Sprintf("node-%d", node)}}
	}
	return evs
}

func TestDispatchOrderPreserved(t *testing.T) {
	const n = 20000
	evs := orderedEvents(n, 97)
	ch := make(chan NodeEvent, n)
	d := newDispatcher(&ChannelEvent{Ch: ch})
	defer d.stop()
	// Mix single and batched pushes.
	for i := 0; i < n; {
		k := min(1+i%5, n-i)
		d.push(evs[i : i+k]...)
		i += k
	}
	got := make([]NodeEvent, 0, n)
	for range n {
		got = append(got, recv(t, ch))
	}
	requireEvents(t, got, evs)
	requireIndexEmpty(t, d)
}

func TestDispatchConcurrentPushersKeepPerNodeOrder(t *testing.T) {
	const pushers, perPusher = 8, 2000
	ch := make(chan NodeEvent, pushers*perPusher)
	d := newDispatcher(&ChannelEvent{Ch: ch})
	defer d.stop()
	kinds := []NodeEventType{NodeLive, NodeUpdate, NodeDead, NodeUpdate}
	var wg sync.WaitGroup
	for p := range pushers {
		wg.Go(func() {
			for i := range perPusher {
				// Each pusher owns 3 nodes; node j of pusher p sees the
				// kinds cycle in order, never two updates in a row.
				id := fmt.Sprintf("p%d-n%d", p, i%3)
				d.push(NodeEvent{Event: kinds[(i/3)%len(kinds)], Node: Node{ID: id}})
			}
		})
	}
	wg.Wait()
	perNode := map[string][]NodeEventType{}
	for range pushers * perPusher {
		ev := recv(t, ch)
		perNode[ev.Node.ID] = append(perNode[ev.Node.ID], ev.Event)
	}
	if len(perNode) != pushers*3 {
		t.Fatalf("events for %d nodes, want %d", len(perNode), pushers*3)
	}
	for id, got := range perNode {
		for i, k := range got {
			if want := kinds[i%len(kinds)]; k != want {
				t.Fatalf("node %s: event %d is %v, want %v (sequence %v)", id, i, k, want, got)
			}
		}
	}
}

func TestDispatchPushDoesNotBlockOnStuckChannel(t *testing.T) {
	const n = 10000
	ch := make(chan NodeEvent) // unbuffered and not read until all pushes return
	d := newDispatcher(&ChannelEvent{Ch: ch})
	defer d.stop()
	evs := orderedEvents(n, 100)

	pushed := make(chan struct{})
	go func() {
		defer close(pushed)
		for _, ev := range evs {
			d.push(ev)
		}
	}()
	waitClosed(t, pushed, "pushing 10,000 events while the consumer is blocked")

	// Nothing was read, so at most the first event has left the queue: the
	// delivery goroutine was blocked in user code throughout.
	if got := d.pending(); got < n-1 {
		t.Fatalf("%d events queued while the consumer was blocked, want at least %d", got, n-1)
	}

	got := make([]NodeEvent, 0, n)
	for range n {
		got = append(got, recv(t, ch))
	}
	requireEvents(t, got, evs)
	requireIndexEmpty(t, d)
	d.mu.Lock()
	bufLen := len(d.buf)
	d.mu.Unlock()
	if bufLen > shrinkAbove {
		t.Fatalf("drained queue still holds a ring of %d items", bufLen)
	}
}

func TestDispatchStopWhileCallbackBlocked(t *testing.T) {
	g := newGatedNotify()
	d := newDispatcher(g)
	holdDelivery(t, d, g, live("a"))
	d.push(live("b"), update("b"), dead("c"))

	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		d.stop()
	}()
	waitClosed(t, stopped, "stop while a callback is blocked")
	d.stop() // idempotent

	d.push(live("d"))
	if got := d.pending(); got != 0 {
		t.Fatalf("%d queued after stop, want 0", got)
	}
	select {
	case <-d.exited:
		t.Fatal("delivery goroutine exited while its callback was still running")
	default:
	}

	// The blocked callback returns; the goroutine then exits without
	// delivering anything else.
	close(g.release)
	waitClosed(t, d.exited, "delivery goroutine exit")
	select {
	case ev := <-g.entered:
		t.Fatalf("delivered %v after stop", ev)
	default:
	}
}

func TestDispatchStopWithStuckChannelEvent(t *testing.T) {
	ch := make(chan NodeEvent) // never read before stop
	d := newDispatcher(&ChannelEvent{Ch: ch})
	d.push(live("a"), dead("a"), live("b"))
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		d.stop()
	}()
	waitClosed(t, stopped, "stop while ChannelEvent is blocked")

	// At most the one event already handed to the channel send is delivered.
	var got []NodeEvent
	for done := false; !done; {
		select {
		case ev := <-ch:
			got = append(got, ev)
		case <-d.exited:
			done = true
		case <-time.After(hangGuard):
			t.Fatal("delivery goroutine did not exit")
		}
	}
	if len(got) > 1 || (len(got) == 1 && got[0] != live("a")) {
		t.Fatalf("delivered %v after stop, want at most [%v]", got, live("a"))
	}
}

func TestDispatchStopIdle(t *testing.T) {
	d := newDispatcher(newGatedNotify())
	d.stop()
	if d.exited != nil {
		t.Fatal("an idle dispatcher started its goroutine")
	}
	d.push(live("a"))
	if got := d.pending(); got != 0 {
		t.Fatalf("%d queued after stop, want 0", got)
	}
}

func TestDispatchConcurrentPushAndStop(t *testing.T) {
	ch := make(chan NodeEvent, 1<<16)
	d := newDispatcher(&ChannelEvent{Ch: ch})
	var wg sync.WaitGroup
	start := make(chan struct{})
	for p := range 4 {
		wg.Go(func() {
			<-start
			for i := range 1000 {
				d.push(live(fmt.Sprintf("%d-%d", p, i)))
			}
		})
	}
	for range 3 {
		wg.Go(func() {
			<-start
			d.stop()
		})
	}
	close(start)
	wg.Wait()
	d.mu.Lock()
	exited := d.exited // nil when every stop came before the first push
	d.mu.Unlock()
	if exited != nil {
		waitClosed(t, exited, "delivery goroutine exit")
	}
	d.push(live("late"))
	if got := d.pending(); got != 0 {
		t.Fatalf("%d queued after stop, want 0", got)
	}
}

func TestDispatchNilNotify(t *testing.T) {
	d := newDispatcher(nil)
	if d.exited != nil {
		t.Fatal("a dispatcher without NotifyEvent started a goroutine")
	}
	d.push(live("a"), update("a"))
	d.push()
	if got := d.pending(); got != 0 {
		t.Fatalf("%d queued without NotifyEvent, want 0", got)
	}
	d.stop()
	d.stop()
	d.push(dead("a"))
}

func TestDispatchEmptyPushAndUnknownType(t *testing.T) {
	g := newGatedNotify()
	d := newDispatcher(g)
	defer d.stop()
	holdDelivery(t, d, g, live("gate"))
	d.push()
	d.push(NodeEvent{Event: NodeEventType(42), Node: Node{ID: "a"}}, update("a"), sentinel)
	// The unknown type is queued in order but calls nothing.
	requireEvents(t, collectUntilSentinel(t, g), []NodeEvent{update("a")})
}

// A ChannelEvent whose channel nobody reads does not keep the delivery
// goroutine after stop.
func TestUnreadChannelEventIsAbandonedAtStop(t *testing.T) {
	ch := make(chan NodeEvent)
	d := newDispatcher(&ChannelEvent{Ch: ch})
	d.push(live("a"), dead("a"))
	d.stop()
	waitClosed(t, d.exited, "the delivery goroutine's exit")
}

// A NodeEventNotifier gets every event whole, NodeConflict included,
// instead of the three methods.
func TestNodeEventNotifierGetsWholeEvents(t *testing.T) {
	ch := make(chan NodeEvent, 4)
	d := newDispatcher(&ChannelEvent{Ch: ch})
	defer d.stop()
	evs := []NodeEvent{
		{Event: NodeLive, Node: Node{ID: "a"}, Reason: ReasonFirstSeen, Generation: 7},
		{Event: NodeConflict, Node: Node{ID: "a", GossipPublicAddress: "10.0.0.9:1"}, Generation: 5},
		{Event: NodeDead, Node: Node{ID: "a"}, Reason: ReasonLeft, Generation: 7},
	}
	d.push(evs...)
	for _, want := range evs {
		if got := recv(t, ch); got != want {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	}
}
