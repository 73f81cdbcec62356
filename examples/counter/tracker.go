package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/scuttlego/scuttlebutt/examples/counter/pncounter"
)

// errStopped is returned by tracker.wait once the tracker stopped.
var errStopped = errors.New("node stopping")

// sample is a counter's reading at one round, with the number of rounds it
// has been unchanged.
type sample struct {
	pncounter.Reading
	unchanged int
	round     uint64 // the tracker round it was taken at, or after
}

// tracker reads every counter once per gossip round and counts, for each,
// the rounds its reading stayed the same (pncounter.Streak). It follows the
// counters the node holds a total of, and those being watched.
type tracker struct {
	h       pncounter.Holder
	sources *pncounter.Sources // the pending peers h holds totals of
	window  time.Duration      // see pncounter.Read

	mu      sync.Mutex
	round   uint64 // rounds sampled so far
	streaks map[string]*pncounter.Streak
	last    map[string]sample // each followed counter at the last round
	watched map[string]int    // counter → watchers
	next    chan struct{}     // closed when the next round is sampled

	done chan struct{}
	wg   sync.WaitGroup
}

// startTracker starts sampling h every interval.
func startTracker(h pncounter.Holder, sources *pncounter.Sources, interval, window time.Duration) *tracker {
	t := &tracker{
		h: h, sources: sources, window: window,
		streaks: map[string]*pncounter.Streak{},
		last:    map[string]sample{},
		watched: map[string]int{},
		next:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	t.wg.Go(func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-t.done:
				return
			case now := <-tick.C:
				t.sampleRound(now)
			}
		}
	})
	return t
}

// stop stops sampling; waiters get errStopped.
func (t *tracker) stop() {
	close(t.done)
	t.wg.Wait()
}

// sampleRound reads every followed counter and advances the round.
func (t *tracker) sampleRound(now time.Time) {
	snap := pncounter.Read(t.h, t.sources.IDs(t.h), t.window, now)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.round++
	follow := map[string]bool{}
	for _, name := range snap.Names() {
		follow[name] = true
	}
	for name := range t.watched {
		follow[name] = true
	}
	for name := range t.streaks {
		if !follow[name] {
			delete(t.streaks, name)
			delete(t.last, name)
		}
	}
	for name := range follow {
		s := t.streaks[name]
		if s == nil {
			s = &pncounter.Streak{}
			t.streaks[name] = s
		}
		r := snap.Reading(name)
		t.last[name] = sample{Reading: r, unchanged: s.Observe(r), round: t.round}
	}
	close(t.next)
	t.next = make(chan struct{})
}

// now reads counter name at once (so that a node reads its own writes at
// once), with the number of rounds the reading has been unchanged as the
// tracker counted them.
func (t *tracker) now(name string) sample {
	r := pncounter.Read(t.h, t.sources.IDs(t.h), t.window, time.Now()).Reading(name)
	t.mu.Lock()
	defer t.mu.Unlock()
	s := sample{Reading: r, round: t.round}
	if st := t.streaks[name]; st != nil {
		s.unchanged = st.Unchanged(r)
	}
	return s
}

// watch makes the tracker follow counter name, even while no node holds a
// total of it, until the returned function is called.
func (t *tracker) watch(name string) (unwatch func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.watched[name]++
	return sync.OnceFunc(func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.watched[name]--; t.watched[name] == 0 {
			delete(t.watched, name)
		}
	})
}

// wait returns counter name's sample at the first round after round
// after, which name must be watched at, or an error if ctx ends or the
// tracker stops first. A waiter that falls behind gets the latest round.
func (t *tracker) wait(ctx context.Context, name string, after uint64) (sample, error) {
	for {
		t.mu.Lock()
		if t.round > after {
			s := t.last[name]
			t.mu.Unlock()
			return s, nil
		}
		next := t.next
		t.mu.Unlock()
		select {
		case <-ctx.Done():
			return sample{}, ctx.Err()
		case <-t.done:
			return sample{}, errStopped
		case <-next:
		}
	}
}
