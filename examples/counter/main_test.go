package main

import (
	"context"
	"flag"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startRun runs run in the background; stop cancels it and returns its
// error.
func startRun(t *testing.T, opts options) (out *syncBuffer, stop func() error) {
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
		case <-time.After(deadline):
			t.Fatal("run did not return after cancel")
			return nil
		}
	}
}

// nodeLine is the documented line printed for each node.
var nodeLine = regexp.MustCompile(`(?m)^node id=(\S+) gossip=(\S+) http=(\S+)$`)

// waitForLines waits until out holds every string of want.
func waitForLines(t *testing.T, out *syncBuffer, want ...string) {
	t.Helper()
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		s := out.String()
		for _, w := range want {
			assert.Contains(c, s, w)
		}
	}, deadline, tick)
}

// nodesOf returns the nodes printed in out, as test handles on their API.
func nodesOf(t *testing.T, out *syncBuffer) map[string]*node {
	t.Helper()
	nodes := map[string]*node{}
	for _, m := range nodeLine.FindAllStringSubmatch(out.String(), -1) {
		require.Regexp(t, `^127\.0\.0\.1:\d+$`, m[2])
		require.Regexp(t, `^http://127\.0\.0\.1:\d+$`, m[3])
		nodes[m[1]] = &node{id: m[1], url: m[3]}
	}
	return nodes
}

func TestRunLocalCluster(t *testing.T) {
	o := testOptions()
	o.nodes = 3
	out, stop := startRun(t, o)
	waitForLines(t, out, "ready nodes=3")
	nodes := nodesOf(t, out)
	require.Len(t, nodes, 3, "%s", out)
	all := []*node{nodes["node-1"], nodes["node-2"], nodes["node-3"]}
	for _, n := range all {
		require.NotNil(t, n, "%s", out)
	}
	inc(t, all[0], "hits", 2)
	inc(t, all[2], "hits", -7)
	eventuallyAll(t, all, "hits", -5)
	require.NoError(t, stop())
	for _, n := range all {
		require.Contains(t, out.String(), "["+n.id+"] leaving")
	}
}

func TestRunSingleNodes(t *testing.T) {
	o := testOptions()
	o.id = "a"
	outA, stopA := startRun(t, o)
	waitForLines(t, outA, "node id=a ")
	a := nodesOf(t, outA)["a"]
	gossipA := nodeLine.FindStringSubmatch(outA.String())[2]

	o.id, o.join, o.state = "b", []string{gossipA}, filepath.Join(t.TempDir(), "b.json")
	outB, stopB := startRun(t, o)
	waitForLines(t, outB, "[b] joined through "+gossipA)
	b := nodesOf(t, outB)["b"]
	inc(t, b, "hits", 6)
	inc(t, a, "hits", 1)
	eventuallyAll(t, []*node{a, b}, "hits", 7)

	// b leaves (SIGINT or SIGTERM in a real run), and comes back with its
	// state file: its total is published again.
	require.NoError(t, stopB())
	waitForLines(t, outA, "[a] b is dead")
	outB, stopB = startRun(t, o)
	waitForLines(t, outB, "[b] joined through "+gossipA)
	b = nodesOf(t, outB)["b"]
	eventuallyAll(t, []*node{a, b}, "hits", 7)
	require.NoError(t, stopB())
	require.NoError(t, stopA())
}

func TestRunStopsAfterDuration(t *testing.T) {
	o := testOptions()
	o.id = "a"
	o.duration = 300 * time.Millisecond
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(context.Background(), o, out) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(deadline):
		t.Fatal("run did not stop after -duration")
	}
	require.Contains(t, out.String(), "[a] leaving")
}

func TestParseFlags(t *testing.T) {
	parse := func(args ...string) (options, error) {
		fs := flag.NewFlagSet("counter", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		return parseFlags(fs, args)
	}
	o, err := parse()
	require.NoError(t, err)
	require.Equal(t, 3, o.nodes)
	require.Equal(t, 7101, o.gossipBase)
	require.Equal(t, 8101, o.httpBase)
	require.Equal(t, "127.0.0.1:7101", loopback(o.gossipBase, 0))
	require.Equal(t, "127.0.0.1:8105", loopback(o.httpBase, 4))
	require.Equal(t, "127.0.0.1:0", loopback(0, 4))

	o, err = parse("-nodes", "5", "-gossip-base", "0", "-http-base", "9000", "-interval", "1s", "-fresh", "4", "-settle", "2", "-dead-grace", "10s")
	require.NoError(t, err)
	require.Equal(t, options{}.id, o.id)
	require.Equal(t, []any{5, 0, 9000, time.Second, 4, 2, 10 * time.Second}, []any{o.nodes, o.gossipBase, o.httpBase, o.interval, o.fresh, o.settle, o.deadGrace})

	o, err = parse("-id", "c", "-listen", "127.0.0.1:7003", "-http", "127.0.0.1:8003", "-join", "h:1,h:2", "-join", "h:3", "-state", "c.json", "-cluster", "x")
	require.NoError(t, err)
	require.Equal(t, []string{"h:1", "h:2", "h:3"}, o.join)
	require.Equal(t, []string{"c", "127.0.0.1:7003", "127.0.0.1:8003", "c.json", "x"}, []string{o.id, o.listen, o.http, o.state, o.cluster})

	for _, args := range [][]string{
		{"-join", "h:1"},            // needs -id
		{"-state", "a.json"},        // needs -id
		{"-listen", "h:1"},          // needs -id
		{"-http", "h:1"},            // needs -id
		{"-id", "a", "-nodes", "2"}, // a local cluster's flag
		{"-id", "a", "-http-base", "0"},
		{"-nodes", "0"},
		{"-gossip-base", "65535", "-nodes", "2"},
		{"-http-base", "-1"},
		{"-fresh", "0"},
		{"-settle", "0"},
		{"-interval", "0s"},
		{"-dead-grace", "0s"},
		{"extra"},
	} {
		_, err := parse(args...)
		require.Error(t, err, strings.Join(args, " "))
	}
}
