package sim

// eventKind says what a queued event does.
type eventKind uint8

const (
	evTick    eventKind = iota // a node's gossip round
	evDeliver                  // a datagram arrives
	evAction                   // a scheduled callback
)

// event is one entry of the simulation's event queue. Events are ordered by
// time, then by the order in which they were scheduled, so that the run does
// not depend on anything but the seed.
type event struct {
	at   int64  // virtual time, ns since the start
	seq  uint64 // scheduling order, the tie-breaker
	kind eventKind
	node int32  // ticking node, or receiver
	from int32  // sender of a datagram
	inc  uint32 // incarnation of the ticking node; stale ticks are ignored
	act  int32  // index of an action
	data []byte // datagram
}

func (a *event) less(b *event) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// eventQueue is a binary min-heap of events. It avoids container/heap's
// interface conversions: the simulator pushes and pops millions of events.
type eventQueue struct {
	items []event
	seq   uint64
}

func (q *eventQueue) len() int { return len(q.items) }

// push adds e, stamping it with the next sequence number.
func (q *eventQueue) push(e event) {
	q.seq++
	e.seq = q.seq
	q.items = append(q.items, e)
	i := len(q.items) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !q.items[i].less(&q.items[p]) {
			break
		}
		q.items[i], q.items[p] = q.items[p], q.items[i]
		i = p
	}
}

// peek returns the earliest event's time; the queue must not be empty.
func (q *eventQueue) peek() int64 { return q.items[0].at }

// pop removes and returns the earliest event.
func (q *eventQueue) pop() event {
	top := q.items[0]
	last := len(q.items) - 1
	q.items[0] = q.items[last]
	q.items[last] = event{}
	q.items = q.items[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= last {
			break
		}
		m := l
		if r := l + 1; r < last && q.items[r].less(&q.items[l]) {
			m = r
		}
		if !q.items[m].less(&q.items[i]) {
			break
		}
		q.items[i], q.items[m] = q.items[m], q.items[i]
		i = m
	}
	return top
}
