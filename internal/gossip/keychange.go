package gossip

import (
	"slices"

	"github.com/scuttlego/scuttlebutt/internal/wire"
)

// WatchKeys turns KeyChanged events on or off: a driver turns them on while
// someone subscribes to key changes, so that nobody pays for them otherwise.
func (e *Engine) WatchKeys(on bool) { e.watchKeys = on }

// noteKeyChange records a change of n's key for subscribers. Changes of a
// pending incarnation wait for its admission (see noteAdmittedKeys), so
// that NodeLive always comes first.
func (e *Engine) noteKeyChange(n *nodeState, key, value string, deleted bool) {
	if e.watchKeys && !reserved(key) && (n == e.self || n.status == statusLive) {
		e.ready.Events = append(e.ready.Events, Event{Type: KeyChanged, Node: n.node(), Generation: n.generation, Key: key, Value: value, Deleted: deleted})
	}
}

// noteStateReplaced reports the changes between a node's user keys before
// its state was replaced (restart or reset) and after. For an incarnation
// admitted after a wait (see setStatus), before is what subscribers last
// saw of the node, nil if nothing.
func (e *Engine) noteStateReplaced(n *nodeState, before map[string]string) {
	if !e.watchKeys {
		return
	}
	after := n.userKeys()
	var gone []string
	for k := range before {
		if _, ok := after[k]; !ok {
			gone = append(gone, k)
		}
	}
	slices.Sort(gone)
	for _, k := range gone {
		e.noteKeyChange(n, k, "", true)
	}
	for _, en := range n.sortedEntries() {
		if v, ok := before[en.key]; en.status == wire.StatusSet && (!ok || v != en.value) {
			e.noteKeyChange(n, en.key, en.value, false)
		}
	}
}
