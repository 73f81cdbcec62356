package netns

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Detection bound, from the README ("Failure detection"): with the default
// failure detector and 1 s rounds, a crashed node is convicted about 4.5 s
// after its last heartbeat arrives, plus a round or two for that heartbeat
// to travel; the detector itself runs once per round, which can add one
// more: 7.5 s. The agents run with those defaults. On these six hosts the
// detection times observed were 4.9 to 9.95 s after the kill, most often
// 6 to 8 s: heartbeats relayed by gossip arrive up to a round early or
// late, and the detector's deviation (floored by the deviation measured over
// all peers) grows with that jitter, as the README's Tuning formula says. The
// margin covers that and a loaded machine; a node not convicted at all, or
// convicted much later, still fails.
const (
	settle          = 8 * time.Second
	readmeDetection = 4500*time.Millisecond + 3*time.Second
	detectionMargin = 4500 * time.Millisecond
)

// hostIDs returns the IDs of hosts.
func hostIDs(hosts []*host) []string {
	var ids []string
	for _, h := range hosts {
		ids = append(ids, h.id)
	}
	return ids
}

// sees reports whether h's view has every host of others with status.
func sees(h *host, status string, others []*host) bool {
	ms := h.members()
	if ms == nil {
		return false
	}
	for _, o := range others {
		if o != h && ms[o.id].Status != status {
			return false
		}
	}
	return true
}

// view is h's view as "id:status" words, for failure messages.
func view(h *host) string {
	var b strings.Builder
	for id, m := range h.members() {
		fmt.Fprintf(&b, "%s:%s ", id, m.Status)
	}
	return b.String()
}

// TestMultiHost runs six agents on six hosts and checks, in order: they
// all join; a key spreads; no host convicts another while the cluster is
// steady; a kill -9 is detected by every other within the README's bound; a partition between two groups heals without restart;
// a host losing 80% of its datagrams, and a one-way cut between two
// others, make no healthy host convict another.
func TestMultiHost(t *testing.T) {
	begin := time.Now()
	l := newLab(t, 6)
	t.Logf("lab ready in %v (egress hook: %v)", time.Since(begin).Round(time.Millisecond), l.egress)
	for _, h := range l.hosts {
		h.start()
	}
	hosts := l.hosts
	h1, h2, h3, h4, h5, h6 := hosts[0], hosts[1], hosts[2], hosts[3], hosts[4], hosts[5]

	// All six join.
	phase := time.Now()
	require.Eventually(t, func() bool {
		for _, h := range hosts {
			if ms := h.members(); len(ms) != 6 || !sees(h, "live", hosts) {
				return false
			}
		}
		return true
	}, 20*time.Second, 100*time.Millisecond, "the six agents did not all join: h1 sees %s", view(h1))
	joined := time.Now()
	t.Logf("all six joined in %v", joined.Sub(phase).Round(time.Millisecond))
	watchers := map[*host]*watcher{}
	for _, h := range hosts {
		watchers[h] = h.watch()
	}

	// A key spreads.
	phase = time.Now()
	h2.put("greeting", "hello from h2")
	require.Eventually(t, func() bool {
		for _, h := range hosts {
			var k struct{ Value string }
			if h.get("/v1/nodes/h2/keys/greeting", &k) != nil || k.Value != "hello from h2" {
				return false
			}
		}
		return true
	}, 10*time.Second, 50*time.Millisecond, "h2's key did not reach every host")
	t.Logf("h2's key reached every host in %v", time.Since(phase).Round(time.Millisecond))

	// A steady cluster: no host convicts another while the failure
	// detectors settle (the README's detection time assumes settled
	// windows: a young one has seen few, irregular intervals).
	for time.Since(joined) < settle {
		for _, h := range hosts {
			require.True(t, sees(h, "live", hosts), "%s convicted a healthy host: %s", h.id, view(h))
		}
		time.Sleep(250 * time.Millisecond) // sampling the views, not waiting for a condition
	}
	for _, h := range hosts {
		for _, o := range hosts {
			require.Empty(t, watchers[h].deaths(o.id, joined), "%s reported %s dead in a healthy cluster", h.id, o.id)
		}
	}
	t.Logf("steady for %v: no conviction", settle)

	// kill -9: every other host reports h6 dead within the bound.
	killed := time.Now()
	h6.kill()
	survivors := hosts[:5]
	detected := map[string]time.Duration{}
	require.Eventually(t, func() bool {
		for _, h := range survivors {
			if _, ok := detected[h.id]; ok {
				continue
			}
			if d := watchers[h].deaths("h6", killed); len(d) > 0 {
				detected[h.id] = d[0].At.Sub(killed)
			}
		}
		return len(detected) == len(survivors)
	}, readmeDetection+detectionMargin+5*time.Second, 50*time.Millisecond, "not every host reported h6 dead: %v", detected)
	for _, h := range survivors {
		require.LessOrEqual(t, detected[h.id], readmeDetection+detectionMargin,
			"%s convicted h6 %v after the kill; the README's bound is %v (+%v margin)", h.id, detected[h.id], readmeDetection, detectionMargin)
	}
	t.Logf("h6 killed: reported dead after %v (bound %v + %v margin)", detected, readmeDetection, detectionMargin)

	// A partition between {h1, h2} and {h3, h4, h5} heals without restart.
	generations := map[string]uint64{}
	for id, m := range h1.members() {
		generations[id] = m.Generation
	}
	left, right := []*host{h1, h2}, []*host{h3, h4, h5}
	phase = time.Now()
	l.newFaults().partition(left, right).apply()
	require.Eventually(t, func() bool {
		for _, h := range left {
			if !sees(h, "dead", right) || !sees(h, "live", left) {
				return false
			}
		}
		for _, h := range right {
			if !sees(h, "dead", left) || !sees(h, "live", right) {
				return false
			}
		}
		return true
	}, 30*time.Second, 100*time.Millisecond, "the sides did not convict each other: h1 sees %s, h3 sees %s", view(h1), view(h3))
	t.Logf("partition: each side convicted the other in %v", time.Since(phase).Round(time.Millisecond))
	phase = time.Now()
	l.clearFaults()
	require.Eventually(t, func() bool {
		for _, h := range survivors {
			if !sees(h, "live", survivors) {
				return false
			}
		}
		return true
	}, 30*time.Second, 100*time.Millisecond, "the partition did not heal: h1 sees %s, h3 sees %s", view(h1), view(h3))
	for _, h := range survivors {
		select {
		case <-h.done:
			t.Fatalf("agent %s exited", h.id)
		default:
		}
	}
	// The side that learnt it was removed rejoined as a new generation of
	// the same process (the low byte counts rejoins); nobody went back.
	for id, m := range h1.members() {
		if id != "h6" {
			require.GreaterOrEqual(t, m.Generation, generations[id], "%s went back a generation", id)
		}
	}
	t.Logf("partition healed in %v, no agent restarted", time.Since(phase).Round(time.Millisecond))

	// h5 loses 80% of its datagrams, and h1 cannot send to h2: no healthy
	// host convicts another, and h1's keys still reach h2 (relayed).
	healthy := []*host{h1, h2, h3, h4}
	faulty := time.Now()
	l.newFaults().loss(h5, 80).cut(h1, h2).apply()
	h1.put("during-faults", "relayed")
	require.Eventually(t, func() bool {
		var k struct{ Value string }
		return h2.get("/v1/nodes/h1/keys/during-faults", &k) == nil && k.Value == "relayed"
	}, 10*time.Second, 50*time.Millisecond, "h1's key did not reach h2 around the cut")
	const observe = 12 * time.Second
	for deadline := faulty.Add(observe); time.Now().Before(deadline); {
		for _, h := range healthy {
			require.True(t, sees(h, "live", healthy), "%s convicted a healthy host during the faults: %s", h.id, view(h))
		}
		time.Sleep(250 * time.Millisecond) // sampling the views, not waiting for a condition
	}
	for _, h := range healthy {
		for _, o := range healthy {
			require.Empty(t, watchers[h].deaths(o.id, faulty), "%s reported %s dead during the faults", h.id, o.id)
		}
	}
	var h5dead []string
	for _, h := range healthy {
		if len(watchers[h].deaths("h5", faulty)) > 0 {
			h5dead = append(h5dead, h.id)
		}
	}
	l.clearFaults()
	t.Logf("80%% loss at h5 and a cut h1→h2 for %v: no healthy host convicted another (h5 was convicted by %v)", observe, h5dead)
	t.Logf("hosts %v; the whole test took %v", hostIDs(hosts), time.Since(begin).Round(time.Millisecond))
}
