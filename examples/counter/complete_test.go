package main

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nextRound waits until n's tracker has sampled one more round.
func nextRound(t *testing.T, n *node) {
	t.Helper()
	n.tracker.mu.Lock()
	round := n.tracker.round
	n.tracker.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	_, err := n.tracker.wait(ctx, "", round)
	require.NoError(t, err)
}

func TestNoCompleteReadingIsWrongOnceWritesStop(t *testing.T) {
	opts := testOptions()
	nodes := startTestCluster(t, opts, 4)
	survivors, doomed := nodes[:3], nodes[3]
	const key = "hits"

	// Concurrent increments at every node, positive and negative.
	var mu sync.Mutex
	var total int64
	var errs []error
	var wg sync.WaitGroup
	for i, n := range nodes {
		wg.Go(func() {
			for j := range 30 {
				delta := int64((i*5+j)%9 - 4)
				_, err := tryInc(n, key, delta)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					total += delta
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Empty(t, errs)

	// One node crashes, once every survivor holds its last total: its
	// contribution stays in the sum while it is dead.
	last, _ := doomed.sb.NodeVersion(doomed.id)
	for _, n := range survivors {
		require.EventuallyWithT(t, func(c *assert.CollectT) {
			v, _ := n.sb.NodeVersion(doomed.id)
			assert.Equal(c, last.Generation, v.Generation)
			assert.Equal(c, last.Held, v.Held)
		}, deadline, tick)
	}
	require.NoError(t, doomed.kill())

	// The cluster settles: a streaming query at each survivor ends on the
	// exact total.
	for _, n := range survivors {
		_, lines := queryStream(t, n, key)
		end := lines[len(lines)-1]
		require.True(t, end.Settled, "%+v", lines)
		require.Equal(t, total, end.Value, "%s settled on a wrong value: %+v", n.id, lines)
	}

	// From then on, round after round, while the survivors convict the
	// crashed node and after, no node reports complete with a wrong value.
	completes := map[string]int{}
	check := func() {
		for _, n := range survivors {
			r := queryOnce(t, n, key)
			if r.Complete {
				require.Equal(t, total, r.Value, "%s reports complete with a wrong value: %+v", n.id, r)
				completes[n.id]++
			}
		}
		nextRound(t, survivors[0])
	}
	convicted := func() bool {
		for _, n := range survivors {
			if !isDead(n, doomed.id) {
				return false
			}
		}
		return true
	}
	for rounds := 0; !convicted(); rounds++ {
		require.Less(t, rounds, int(deadline/opts.interval), "the survivors never convicted %s", doomed.id)
		check()
	}
	for range 5 {
		check()
	}
	for _, n := range survivors {
		require.Positive(t, completes[n.id], "%s was never complete", n.id)
	}
}
