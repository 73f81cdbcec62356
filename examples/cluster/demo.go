package main

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/scuttlego/scuttlebutt"
)

// change is a scripted key change of the demo.
type change struct {
	at      time.Duration // after the cluster formed
	m       *member       // the node making it, in its own namespace
	key     string
	value   string
	deleted bool
}

func (ch change) String() string {
	return describeChange(scuttlebutt.KeyChange{Node: scuttlebutt.Node{ID: ch.m.id}, Key: ch.key, Value: ch.value, Deleted: ch.deleted})
}

func (ch change) apply() error {
	if ch.deleted {
		return ch.m.sb.Delete(ch.key)
	}
	return ch.m.sb.Set(ch.key, ch.value)
}

// seenBy reports whether m holds the result of the change.
func (ch change) seenBy(m *member) bool {
	v, ok := m.sb.Get(ch.m.id, ch.key)
	if ch.deleted {
		return !ok
	}
	return ok && v == ch.value
}

// runDemo runs three nodes on loopback and makes a few key changes.
func runDemo(ctx context.Context, opts options, p *printer) error {
	var members []*member
	for _, n := range []struct{ id, role string }{{"node-a", "seed"}, {"node-b", "web"}, {"node-c", "worker"}} {
		m, err := startMember(opts, n.id, "127.0.0.1:0", map[string]string{"role": n.role}, p)
		if err != nil {
			return errors.Join(err, leaveAll(p, members))
		}
		members = append(members, m)
	}
	a, b, c := members[0], members[1], members[2]

	// node-b prints every key change it learns, its own included.
	unsubscribe := b.sb.Subscribe("", func(kc scuttlebutt.KeyChange) {
		p.printf("[%s] key change: %s", b.id, describeChange(kc))
	})
	seed := a.sb.LocalNode().GossipPublicAddress
	b.join(p, []string{seed})
	c.join(p, []string{seed})

	// Changes fall between two views, so that each view shows a settled
	// cluster.
	script := []change{
		{at: opts.every / 2, m: a, key: "greeting", value: "hello"},
		{at: opts.every/2 + opts.step, m: c, key: "load", value: "0.42"},
		{at: opts.every/2 + 2*opts.step, m: a, key: "greeting", deleted: true},
	}
	start := time.Now()
	next := time.NewTimer(script[0].at)
	defer next.Stop()
	views := time.NewTicker(opts.every)
	defer views.Stop()
	var watchers sync.WaitGroup
	var err error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-views.C:
			printViews(p, members)
		case <-next.C:
			ch := script[0]
			script = script[1:]
			if ch.deleted {
				p.printf("[%s] deletes %s", ch.m.id, ch.key)
			} else {
				p.printf("[%s] sets %s=%s", ch.m.id, ch.key, ch.value)
			}
			if err = ch.apply(); err != nil {
				break loop
			}
			watchers.Go(func() { watch(ctx, p, members, ch) })
			if len(script) > 0 {
				next.Reset(time.Until(start.Add(script[0].at)))
			}
		}
	}
	watchers.Wait()
	unsubscribe()
	return errors.Join(err, leaveAll(p, members))
}

// watch prints each member the change reaches, until all have it or ctx ends.
func watch(ctx context.Context, p *printer, members []*member, ch change) {
	start := time.Now()
	pending := slices.DeleteFunc(slices.Clone(members), func(m *member) bool { return m == ch.m })
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	for len(pending) > 0 {
		select {
		case <-ctx.Done():
			return
		case <-poll.C:
		}
		pending = slices.DeleteFunc(pending, func(m *member) bool {
			if !ch.seenBy(m) {
				return false
			}
			p.printf("[%s] got %s (after %v)", m.id, ch, time.Since(start).Round(time.Millisecond))
			return true
		})
	}
	p.printf("every node got %s", ch)
}
