package scuttlebutt_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
)

// logRecorder is an slog handler that keeps every record, for tests that
// check what a node logs.
type logRecorder struct {
	mu    sync.Mutex
	recs  []logLine
	attrs []slog.Attr
	root  *logRecorder // records go to the root's list
}

// logLine is one record: level, message and attributes as strings.
type logLine struct {
	level slog.Level
	msg   string
	attrs map[string]string
}

func newLogRecorder() *logRecorder {
	r := &logRecorder{}
	r.root = r
	return r
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	l := logLine{level: rec.Level, msg: rec.Message, attrs: map[string]string{}}
	for _, a := range r.attrs {
		l.attrs[a.Key] = a.Value.String()
	}
	rec.Attrs(func(a slog.Attr) bool {
		l.attrs[a.Key] = a.Value.String()
		return true
	})
	r.root.mu.Lock()
	r.root.recs = append(r.root.recs, l)
	r.root.mu.Unlock()
	return nil
}

func (r *logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	return &logRecorder{attrs: append(append([]slog.Attr(nil), r.attrs...), as...), root: r.root}
}

func (r *logRecorder) WithGroup(string) slog.Handler { return r }

// logger returns a logger writing to r.
func (r *logRecorder) logger() *slog.Logger { return slog.New(r) }

// find returns the records at level whose message starts with msg and
// whose attributes include every key=value of kv.
func (r *logRecorder) find(level slog.Level, msg string, kv ...string) []logLine {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []logLine
next:
	for _, l := range r.recs {
		if l.level != level || !strings.HasPrefix(l.msg, msg) {
			continue
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if l.attrs[kv[i]] != kv[i+1] {
				continue next
			}
		}
		out = append(out, l)
	}
	return out
}

// has reports whether find finds something, for require.Eventually.
func (r *logRecorder) has(level slog.Level, msg string, kv ...string) func() bool {
	return func() bool { return len(r.find(level, msg, kv...)) > 0 }
}

// dump renders every record, for failure messages.
func (r *logRecorder) dump() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, l := range r.recs {
		fmt.Fprintf(&b, "%v %s %v\n", l.level, l.msg, l.attrs)
	}
	return b.String()
}
