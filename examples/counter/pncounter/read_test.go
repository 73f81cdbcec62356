package pncounter

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeHolder is a Holder whose answers a test sets.
type fakeHolder struct {
	self     string
	live     []string
	dead     []string
	states   map[string]map[string]string
	versions map[string]Version
	// onState, if set, runs when a member's state is read (to change the
	// holder in the middle of a read).
	onState func(id string)
	// liveCalls counts LiveIDs calls; liveAfter, if set, is what every
	// call but the first returns.
	liveCalls int
	liveAfter []string
}

func (f *fakeHolder) LocalID() string { return f.self }

func (f *fakeHolder) LiveIDs() []string {
	f.liveCalls++
	if f.liveCalls > 1 && f.liveAfter != nil {
		return f.liveAfter
	}
	return f.live
}

func (f *fakeHolder) DeadIDs() []string { return f.dead }

func (f *fakeHolder) NodeState(id string) (map[string]string, bool) {
	if f.onState != nil {
		f.onState(id)
	}
	s, ok := f.states[id]
	return s, ok
}

func (f *fakeHolder) Version(id string) (Version, bool) {
	v, ok := f.versions[id]
	return v, ok
}

var t0 = time.Unix(1_000_000, 0)

const window = 300 * time.Millisecond

// settled returns three members a (local), b (live) and c (dead), each
// confirmed at t0.
func settled() *fakeHolder {
	v := Version{Generation: 1, Held: 4, Seen: 4, SeenAt: t0}
	return &fakeHolder{
		self: "a", live: []string{"b"}, dead: []string{"c"},
		states: map[string]map[string]string{
			"a": {"counter/hits": "5", "role": "web"},
			"b": {"counter/hits": "-2", "counter/other": "7"},
			"c": {"counter/hits": "10"},
		},
		versions: map[string]Version{"a": v, "b": v, "c": v},
	}
}

func TestReadSumsLiveAndDeadMembers(t *testing.T) {
	s := Read(settled(), nil, window, t0.Add(window))
	require.True(t, s.Complete)
	require.Empty(t, s.Unconfirmed)
	require.Equal(t, 3, s.Nodes)
	require.Equal(t, []string{"hits", "other"}, s.Names())
	r := s.Reading("hits")
	require.NoError(t, r.Err)
	require.Equal(t, Reading{Name: "hits", Value: 13, Complete: true, Nodes: 3, Entries: 3, Unconfirmed: s.Unconfirmed}, r)
	require.Equal(t, int64(7), s.Reading("other").Value)
	require.Equal(t, 1, s.Reading("other").Entries)

	none := s.Reading("absent")
	require.NoError(t, none.Err)
	require.Equal(t, int64(0), none.Value)
	require.True(t, none.Complete, "a counter nobody holds is 0, as completely as the rest")
	require.Equal(t, 0, none.Entries)
}

func TestReadIsIncompleteWhenAMemberIsUnconfirmed(t *testing.T) {
	for name, change := range map[string]func(f *fakeHolder){
		"behind": func(f *fakeHolder) { // a peer has shown a newer version of b
			v := f.versions["b"]
			v.Seen++
			f.versions["b"] = v
		},
		"stale confirmation": func(f *fakeHolder) {
			v := f.versions["b"]
			v.SeenAt = t0.Add(-time.Nanosecond)
			f.versions["b"] = v
		},
		"never confirmed": func(f *fakeHolder) {
			v := f.versions["b"]
			v.SeenAt = time.Time{}
			f.versions["b"] = v
		},
		"dead member behind": func(f *fakeHolder) {
			v := f.versions["c"]
			v.Seen++
			f.versions["c"] = v
		},
		"dead member no longer confirmed": func(f *fakeHolder) {
			v := f.versions["c"]
			v.SeenAt = t0.Add(-time.Second)
			f.versions["c"] = v
		},
		"no version": func(f *fakeHolder) { delete(f.versions, "b") },
		"changed while read": func(f *fakeHolder) {
			f.onState = func(id string) {
				if id == "b" {
					f.versions["b"] = Version{Generation: 1, Held: 5, Seen: 5, SeenAt: t0}
				}
			}
		},
		"restarted while read": func(f *fakeHolder) {
			f.onState = func(id string) {
				if id == "b" {
					f.versions["b"] = Version{Generation: 2, Held: 4, Seen: 4, SeenAt: t0}
				}
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := settled()
			change(f)
			s := Read(f, nil, window, t0.Add(window))
			require.False(t, s.Complete)
			require.False(t, s.Reading("hits").Complete)
			require.NotEmpty(t, s.Unconfirmed)
			require.NotContains(t, s.Unconfirmed, "a")
			require.Equal(t, int64(13), s.Reading("hits").Value, "the value is still the sum held")
		})
	}
}

func TestReadIsIncompleteWhenMembershipMovesDuringTheRead(t *testing.T) {
	f := settled()
	f.liveAfter = []string{"b", "c"} // c came back to life between the calls
	s := Read(f, nil, window, t0)
	require.False(t, s.Complete)
	require.Equal(t, 3, s.Nodes, "c is summed once")
	require.Equal(t, int64(13), s.Reading("hits").Value)
}

func TestReadOfACollectedMemberIsIncomplete(t *testing.T) {
	f := settled()
	delete(f.states, "c") // collected between the listing and the read
	s := Read(f, nil, window, t0)
	require.False(t, s.Complete)
	require.Equal(t, []string{"c"}, s.Unconfirmed)
	require.Equal(t, 2, s.Nodes)
	require.Equal(t, int64(3), s.Reading("hits").Value)
}

func TestReadReportsMalformedTotalsAndOverflow(t *testing.T) {
	f := settled()
	f.states["b"]["counter/hits"] = "lots"
	f.states["b"]["counter/big"] = "9223372036854775807"
	f.states["c"]["counter/big"] = "1"
	s := Read(f, nil, window, t0)
	require.True(t, s.Complete)
	hits := s.Reading("hits")
	require.ErrorIs(t, hits.Err, ErrMalformed)
	require.ErrorContains(t, hits.Err, "node b")
	require.False(t, hits.Complete)
	big := s.Reading("big")
	require.ErrorIs(t, big.Err, ErrOverflow)
	require.False(t, big.Complete)
	require.NoError(t, s.Reading("other").Err)
}

func TestReadOfALoneNodeIsComplete(t *testing.T) {
	f := &fakeHolder{
		self:     "a",
		states:   map[string]map[string]string{"a": {"counter/hits": "3"}},
		versions: map[string]Version{"a": {Generation: 1, Held: 1, Seen: 1, SeenAt: t0}},
	}
	s := Read(f, nil, window, t0)
	require.True(t, s.Complete)
	require.Equal(t, int64(3), s.Reading("hits").Value)
	require.True(t, slices.Equal([]string{"hits"}, s.Names()))
}

func TestStreakCountsUnchangedRounds(t *testing.T) {
	var s Streak
	r := Reading{Value: 3, Complete: false}
	require.Equal(t, 0, s.Unchanged(r))
	require.Equal(t, 0, s.Observe(r))
	require.Equal(t, 1, s.Observe(r))
	r.Complete = true
	require.Equal(t, 0, s.Observe(r), "completeness changed")
	require.Equal(t, 1, s.Observe(r))
	require.Equal(t, 2, s.Observe(r))
	require.Equal(t, 2, s.Unchanged(r))
	require.Equal(t, 0, s.Unchanged(Reading{Value: 4, Complete: true}))
	require.Equal(t, 0, s.Observe(Reading{Value: 4, Complete: true}), "value changed")
	bad := Reading{Err: ErrMalformed}
	require.Equal(t, 0, s.Observe(bad))
	require.Equal(t, 0, s.Observe(bad), "an error never counts as unchanged")
}

func TestReadSumsOtherNodesHeld(t *testing.T) {
	f := settled()
	// d is held but listed neither live nor dead (pending).
	f.states["d"] = map[string]string{"counter/hits": "100"}
	f.versions["d"] = Version{Generation: 1, Held: 2, Seen: 2, SeenAt: t0}
	s := Read(f, []string{"d", "b", "gone"}, window, t0)
	require.True(t, s.Complete, "an other node no longer held is skipped: %+v", s)
	require.Equal(t, 4, s.Nodes, "b is summed once")
	require.Equal(t, int64(113), s.Reading("hits").Value)

	f.versions["d"] = Version{Generation: 1, Held: 2, Seen: 3, SeenAt: t0}
	s = Read(f, []string{"d"}, window, t0)
	require.False(t, s.Complete)
	require.Equal(t, []string{"d"}, s.Unconfirmed)
}

func TestSourcesNameTheNodesHeld(t *testing.T) {
	f := settled()
	var src Sources
	require.Empty(t, src.IDs(f))
	for _, c := range [][2]string{
		{"c", "counter/hits"},
		{"b", "counter/other"},
		{"x", "role"}, // not a total
		{"gone", "counter/hits"},
	} {
		src.Observe(c[0], c[1])
	}
	require.Equal(t, []string{"b", "c"}, src.IDs(f), "gone is not held")
	f.versions["gone"] = Version{Generation: 1}
	require.Equal(t, []string{"b", "c"}, src.IDs(f), "gone was forgotten")
	src.Observe("gone", "counter/hits")
	require.Equal(t, []string{"b", "c", "gone"}, src.IDs(f), "heard of again")
}
