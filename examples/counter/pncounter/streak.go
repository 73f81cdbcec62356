package pncounter

// Streak counts the consecutive rounds in which a counter's reading stayed
// the same. Feed it one Reading per round. The zero Streak is ready to use.
type Streak struct {
	started  bool
	value    int64
	complete bool
	rounds   int
}

// Observe records one round's reading and returns the number of rounds the
// reading has been unchanged: 0 on the first round and whenever the value,
// or its completeness, differs from the previous round's (a reading with an
// error always differs); otherwise one more than the previous round's.
func (s *Streak) Observe(r Reading) int {
	if s.started && s.same(r) {
		s.rounds++
		return s.rounds
	}
	*s = Streak{started: r.Err == nil, value: r.Value, complete: r.Complete}
	return 0
}

// Unchanged returns the number of rounds r has been unchanged, without
// recording it: the last count if r equals the last reading observed, 0
// otherwise.
func (s *Streak) Unchanged(r Reading) int {
	if s.started && s.same(r) {
		return s.rounds
	}
	return 0
}

func (s *Streak) same(r Reading) bool {
	return r.Err == nil && r.Value == s.value && r.Complete == s.complete
}
