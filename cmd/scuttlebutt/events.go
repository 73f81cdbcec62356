package main

import (
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"github.com/scuttlego/scuttlebutt"
)

// The agent turns the library's notifications (Config.Events, Subscribe)
// into a stream of events for /v1/events. A broker keeps the last
// eventBacklog events, numbered, so that a client that reconnects with
// Last-Event-ID misses nothing recent, and fans every new event out to the
// connected clients without ever blocking: a client too slow to keep up is
// disconnected (and may reconnect), never waited for.

// eventBacklog is how many past events the broker keeps for replay.
const eventBacklog = 1024

// clientBuffer is how many events may wait for one client.
const clientBuffer = 256

// Event kinds, the SSE event names.
const (
	kindNode = "node" // a peer became live or dead, or its keys changed
	kindKey  = "key"  // a key of some node was set or deleted
)

// eventJSON is the data of one event.
type eventJSON struct {
	Kind string    `json:"kind"` // kindNode or kindKey
	Time time.Time `json:"time"`
	// Type is, for node events, "live", "dead" or "update"; for key
	// events, "set" or "delete".
	Type    string `json:"type"`
	Node    string `json:"node"`
	Address string `json:"address,omitempty"` // node events
	Key     string `json:"key,omitempty"`     // key events
	Value   string `json:"value,omitempty"`   // key events of type "set"
}

// event is one numbered event, its data encoded.
type event struct {
	id   uint64
	kind string
	data []byte
}

// broker fans events out to subscribers and keeps a backlog.
type broker struct {
	mu      sync.Mutex
	next    uint64 // ID of the next event; IDs start at 1
	backlog []event
	subs    map[*eventSub]struct{}
	closed  bool
}

// eventSub is one client's queue. ch is closed when the client fell behind
// or the broker closed.
type eventSub struct {
	ch chan event
}

func newBroker() *broker {
	return &broker{next: 1, subs: map[*eventSub]struct{}{}}
}

// publish numbers e, keeps it and queues it for every subscriber.
func (b *broker) publish(e eventJSON) {
	data, err := json.Marshal(e)
	if err != nil {
		return // cannot happen: strings and a time
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	ev := event{id: b.next, kind: e.Kind, data: data}
	b.next++
	if len(b.backlog) == eventBacklog {
		copy(b.backlog, b.backlog[1:])
		b.backlog = b.backlog[:eventBacklog-1]
	}
	b.backlog = append(b.backlog, ev)
	for s := range b.subs {
		select {
		case s.ch <- ev:
		default:
			// Too slow: drop the client rather than wait or skip events
			// silently; it reconnects with Last-Event-ID.
			delete(b.subs, s)
			close(s.ch)
		}
	}
}

// subscribe returns the kept events after ID since (none if replay is
// false) and a subscription to the events that follow them, without a gap.
func (b *broker) subscribe(since uint64, replay bool) ([]event, *eventSub) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := &eventSub{ch: make(chan event, clientBuffer)}
	if b.closed {
		close(s.ch)
		return nil, s
	}
	var past []event
	if replay {
		for _, e := range b.backlog {
			if e.id > since {
				past = append(past, e)
			}
		}
	}
	b.subs[s] = struct{}{}
	return past, s
}

// unsubscribe removes s.
func (b *broker) unsubscribe(s *eventSub) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[s]; ok {
		delete(b.subs, s)
		close(s.ch)
	}
}

// close ends every subscription.
func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		delete(b.subs, s)
		close(s.ch)
	}
}

// notifier is the agent's scuttlebutt.NotifyEvent: it logs each event and
// publishes it. It runs on the library's dispatcher goroutine and never
// blocks.
type notifier struct {
	b   *broker
	log *slog.Logger
}

var _ scuttlebutt.NotifyEvent = (*notifier)(nil)

// NotifyLive publishes a "live" node event.
func (n *notifier) NotifyLive(node scuttlebutt.Node) {
	n.log.Info("node live", "peer", node.ID, "address", node.GossipPublicAddress)
	n.node("live", node)
}

// NotifyDead publishes a "dead" node event.
func (n *notifier) NotifyDead(node scuttlebutt.Node) {
	n.log.Warn("node dead", "peer", node.ID, "address", node.GossipPublicAddress)
	n.node("dead", node)
}

// NotifyUpdate publishes an "update" node event.
func (n *notifier) NotifyUpdate(node scuttlebutt.Node) {
	n.log.Debug("node updated", "peer", node.ID)
	n.node("update", node)
}

func (n *notifier) node(typ string, node scuttlebutt.Node) {
	n.b.publish(eventJSON{Kind: kindNode, Time: time.Now(), Type: typ, Node: node.ID, Address: node.GossipPublicAddress})
}

// keyChange publishes a key event; it is the agent's Subscribe callback.
func (n *notifier) keyChange(c scuttlebutt.KeyChange) {
	e := eventJSON{Kind: kindKey, Time: time.Now(), Type: "set", Node: c.Node.ID, Key: c.Key, Value: c.Value}
	if c.Deleted {
		e.Type = "delete"
		n.log.Debug("key deleted", "peer", c.Node.ID, "key", c.Key)
	} else {
		n.log.Debug("key set", "peer", c.Node.ID, "key", c.Key, "value", c.Value)
	}
	n.b.publish(e)
}
