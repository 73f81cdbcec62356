package scuttlebutt

import (
	"expvar"
	"fmt"
	"sync"
)

// publishMu makes the check-then-publish of PublishExpvar atomic among its
// callers (expvar.Publish panics on a duplicate name).
var publishMu sync.Mutex

// PublishExpvar publishes this node's Stats under name in the standard
// expvar registry (served as JSON at /debug/vars by expvar's HTTP handler);
// each read takes a fresh snapshot. It returns an error, instead of
// panicking as expvar.Publish does, if the name is already taken, and the
// variable cannot be removed afterwards (expvar has no unpublish): publish a
// node once, under a name unique in the process, such as its node ID.
func (sb *Scuttlebutt) PublishExpvar(name string) error {
	publishMu.Lock()
	defer publishMu.Unlock()
	if expvar.Get(name) != nil {
		return fmt.Errorf("scuttlebutt: expvar %q is already published", name)
	}
	expvar.Publish(name, expvar.Func(func() any { return sb.Stats() }))
	return nil
}
