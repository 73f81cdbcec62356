package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// fastOptions runs the demo's script in about a second.
func fastOptions() options {
	o := defaultOptions()
	o.interval = 50 * time.Millisecond
	o.step = 300 * time.Millisecond
	o.every = 200 * time.Millisecond
	return o
}

// start runs run in the background; stop cancels it and returns its error.
func start(t *testing.T, opts options) (out *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	out = &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, opts, out) }()
	return out, func() error {
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("run did not return after cancel")
			return nil
		}
	}
}

// waitFor polls out until it contains every string of want, or fails after a
// generous deadline.
func waitFor(t *testing.T, out *syncBuffer, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		s := out.String()
		missing := slices.DeleteFunc(slices.Clone(want), func(w string) bool { return strings.Contains(s, w) })
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("output lacks %q:\n%s", missing, s)
		}
		<-tick.C
	}
}

func TestDemo(t *testing.T) {
	out, stop := start(t, fastOptions())
	var want []string
	for _, a := range []string{"node-a", "node-b", "node-c"} {
		for _, b := range []string{"node-a", "node-b", "node-c"} {
			if a != b {
				want = append(want, "["+a+"] "+b+" is live")
			}
		}
	}
	want = append(want,
		"[node-b] key change: node-a greeting=hello",
		"[node-c] got node-a greeting=hello",
		"every node got node-a greeting=hello",
		"every node got node-c load=0.42",
		"[node-b] key change: node-a greeting deleted",
		"every node got node-a greeting deleted",
		"VIEW OF",
	)
	waitFor(t, out, want...)
	if err := stop(); err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	if s := out.String(); !strings.Contains(s, "[node-a] leaving") || !strings.Contains(s, "[node-c] leaving") {
		t.Fatalf("nodes did not leave:\n%s", s)
	}
}

func TestSingleNodes(t *testing.T) {
	o := fastOptions()
	o.id, o.listen = "a", "127.0.0.1:0"
	outA, stopA := start(t, o)
	waitFor(t, outA, "[a] listening on")
	addr := regexp.MustCompile(`listening on (\S+)`).FindStringSubmatch(outA.String())[1]

	o.id, o.join, o.set, o.del = "b", []string{addr}, []string{"role=web", "zone=eu"}, []string{"zone"}
	outB, stopB := start(t, o)
	waitFor(t, outB, "[b] joined through "+addr, "[b] a is live")
	waitFor(t, outA, "[a] b is live", "[a] key change: b role=web", "[a] key change: b zone deleted")
	if err := stopB(); err != nil {
		t.Fatalf("run b: %v\n%s", err, outB)
	}
	waitFor(t, outA, "[a] b is dead")
	if err := stopA(); err != nil {
		t.Fatalf("run a: %v\n%s", err, outA)
	}
}

func TestParseFlags(t *testing.T) {
	parse := func(args ...string) (options, error) {
		fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		return parseFlags(fs, args)
	}
	o, err := parse("-id", "c", "-set", "role=db,zone=eu", "-set", "x=1", "-delete", "zone", "-join", "h:1,h:2", "-interval", "1s")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.set, []string{"role=db", "zone=eu", "x=1"}) || !slices.Equal(o.join, []string{"h:1", "h:2"}) ||
		!slices.Equal(o.del, []string{"zone"}) || o.interval != time.Second {
		t.Fatalf("parsed %+v", o)
	}
	for _, args := range [][]string{
		{"-set", "role=db"},       // needs -id
		{"-id", "c", "-set", "x"}, // not key=value
		{"extra"},
	} {
		if _, err := parse(args...); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}
