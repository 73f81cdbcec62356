package scuttlebutt

import "time"

// logLimiter rate-limits log records by key (a cause and a peer): the first
// record of a key is written at once, later ones at most once per every,
// each counting those skipped meanwhile. It remembers at most
// maxLimitKeys keys; beyond that, keys share one budget, so that a flood
// from many addresses does not flood the log. Not safe for concurrent use.
type logLimiter struct {
	every time.Duration
	keys  map[string]*limitState
}

// maxLimitKeys bounds the keys a logLimiter remembers.
const maxLimitKeys = 256

// limitState is one key's budget.
type limitState struct {
	last       time.Time // last record written
	suppressed int       // records skipped since
}

// overflowKey is the key shared by everything beyond maxLimitKeys.
const overflowKey = "\x00overflow"

// allow reports whether a record for key may be written at now, and how
// many were skipped since the last one.
func (l *logLimiter) allow(key string, now time.Time) (ok bool, suppressed int) {
	if l.keys == nil {
		l.keys = make(map[string]*limitState)
	}
	st := l.keys[key]
	if st == nil {
		// One place is kept for overflowKey.
		if len(l.keys) >= maxLimitKeys-1 {
			for k, s := range l.keys {
				if now.Sub(s.last) >= l.every && s.suppressed == 0 {
					delete(l.keys, k)
				}
			}
		}
		if len(l.keys) >= maxLimitKeys-1 {
			key = overflowKey
			st = l.keys[key]
		}
		if st == nil {
			l.keys[key] = &limitState{last: now}
			return true, 0
		}
	}
	if now.Sub(st.last) < l.every {
		st.suppressed++
		return false, 0
	}
	suppressed = st.suppressed
	st.last, st.suppressed = now, 0
	return true, suppressed
}
