package main

import (
	"errors"
	"fmt"
	"sync"

	"github.com/scuttlego/scuttlebutt"
	"github.com/scuttlego/scuttlebutt/examples/counter/pncounter"
)

// counter changes one node's own totals: the node's entry of each counter,
// published in its namespace as pncounter.Key(name), and kept in the state
// file when there is one. Reads go through the tracker.
type counter struct {
	sb    *scuttlebutt.Scuttlebutt
	state *stateFile // nil: totals are not persisted

	mu     sync.Mutex       // serialises changes, so that no increment is lost
	totals map[string]int64 // this node's totals, as published
}

// newCounter returns the counter of a node started with totals as its
// initial metadata (see metadata).
func newCounter(sb *scuttlebutt.Scuttlebutt, state *stateFile, totals map[string]int64) *counter {
	return &counter{sb: sb, state: state, totals: totals}
}

// metadata renders totals as a node's initial keys.
func metadata(totals map[string]int64) map[string]string {
	m := make(map[string]string, len(totals))
	for name, t := range totals {
		m[pncounter.Key(name)] = pncounter.FormatTotal(t)
	}
	return m
}

// inc adds delta to this node's total of counter name and returns the new
// total. An overflow leaves the total as it was and returns an error
// wrapping pncounter.ErrOverflow. With a state file, the file is written
// before the total is published, so that an acknowledged increment survives
// a restart.
func (c *counter) inc(name string, delta int64) (int64, error) {
	if err := pncounter.CheckName(name); err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old, had := c.totals[name]
	t, err := pncounter.Add(old, delta)
	if err != nil {
		return old, err
	}
	c.totals[name] = t
	if err := c.commit(name, old, had, func() error { return c.sb.Set(pncounter.Key(name), pncounter.FormatTotal(t)) }); err != nil {
		return old, err
	}
	return t, nil
}

// reset withdraws this node's entry of counter name: its total is deleted
// (a tombstone carries the deletion to every peer), so the counter loses
// this node's contribution and keeps everyone else's. It returns the total
// withdrawn (0 if the node had none).
func (c *counter) reset(name string) (int64, error) {
	if err := pncounter.CheckName(name); err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old, had := c.totals[name]
	if !had {
		return 0, nil
	}
	delete(c.totals, name)
	if err := c.commit(name, old, had, func() error { return c.sb.Delete(pncounter.Key(name)) }); err != nil {
		return 0, err
	}
	return old, nil
}

// commit makes the change already applied to c.totals durable and
// public: it saves the totals, then runs write, the change of the node's
// key. If either fails, the total of name goes back to old (absent unless
// had) and the file is saved again.
func (c *counter) commit(name string, old int64, had bool, write func() error) error {
	err := c.save()
	if err == nil {
		err = write()
	}
	if err == nil {
		return nil
	}
	if had {
		c.totals[name] = old
	} else {
		delete(c.totals, name)
	}
	return fmt.Errorf("counter %q: %w", name, errors.Join(err, c.save()))
}

// save writes the totals to the state file, if there is one.
func (c *counter) save() error {
	if c.state == nil {
		return nil
	}
	return c.state.save(c.totals)
}
