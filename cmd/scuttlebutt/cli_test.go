package main

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestCLIUsageAndExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string // in stdout or stderr
	}{
		{nil, exitUsage, "Usage: scuttlebutt COMMAND"},
		{[]string{"-h"}, exitOK, "Commands:"},
		{[]string{"help"}, exitOK, "inject"},
		{[]string{"help", "members"}, exitOK, "-json"},
		{[]string{"help", "nope"}, exitUsage, "unknown command"},
		{[]string{"nope"}, exitUsage, `unknown command "nope"`},
		{[]string{"agent", "-h"}, exitOK, "SCUTTLEBUTT_JOIN"},
		{[]string{"agent", "-bogus"}, exitUsage, "flag provided but not defined"},
		{[]string{"agent", "-interval", "soon"}, exitUsage, "invalid value"},
		{[]string{"agent", "-interval", "0s"}, exitUsage, "-interval must be positive"},
		{[]string{"agent", "-log", "loud"}, exitUsage, "log level"},
		{[]string{"agent", "extra"}, exitUsage, "unexpected arguments"},
		{[]string{"agent", "-set", "novalue"}, exitUsage, "want key=value"},
		{[]string{"members", "-h"}, exitOK, "SCUTTLEBUTT_AGENT"},
		{[]string{"members", "extra"}, exitUsage, "unexpected arguments"},
		{[]string{"get"}, exitUsage, "want NODE [KEY]"},
		{[]string{"get", "a", "b", "c"}, exitUsage, "want NODE [KEY]"},
		{[]string{"set", "novalue"}, exitUsage, "want KEY=VALUE"},
		{[]string{"set", "=v"}, exitUsage, "want KEY=VALUE"},
		{[]string{"set", "k=v", "-ttl", "-1s"}, exitUsage, "-ttl"},
		{[]string{"delete"}, exitUsage, "want one KEY"},
		{[]string{"watch", "-count", "x"}, exitUsage, "invalid value"},
		{[]string{"inject"}, exitUsage, "want ADDR [JSON]"},
		{[]string{"inject", "127.0.0.1:1", "{"}, exitUsage, "message JSON"},
		{[]string{"inject", "127.0.0.1:1", `{"type":"syn","bogus":1}`}, exitUsage, "unknown field"},
		{[]string{"inject", "127.0.0.1:1", `{"type":"hello"}`}, exitUsage, "want syn, synack, ack, heartbeat, push, sum or ranges"},
		{[]string{"members", "-agent", "::bad"}, exitUsage, "-agent"},
	} {
		code, out, errOut := runCLI(t, nil, "", tc.args...)
		require.Equal(t, tc.code, code, "%q: stdout %s stderr %s", tc.args, out, errOut)
		require.Contains(t, out+errOut, tc.out, "%q", tc.args)
		if tc.code == exitUsage {
			require.Empty(t, out, "%q: usage errors go to stderr", tc.args)
		}
	}
}

// deadAgent returns the address of a TCP port nothing listens on.
func deadAgent(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func TestCLIUnreachableAgentFails(t *testing.T) {
	addr := deadAgent(t)
	for _, args := range [][]string{
		{"members"}, {"get", "a"}, {"set", "k=v"}, {"delete", "k"}, {"watch"},
	} {
		code, out, errOut := runCLI(t, map[string]string{"SCUTTLEBUTT_AGENT": addr}, "", args...)
		require.Equal(t, exitFailure, code, "%q: %s %s", args, out, errOut)
		require.Contains(t, errOut, addr, "%q", args)
	}
}

func TestCLIMembers(t *testing.T) {
	ring := startRing(t, []string{"a", "b", "c"})
	addr := ring[0].httpAddr()

	code, out, errOut := runCLI(t, nil, "", "members", "-agent", addr)
	require.Equal(t, exitOK, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4, out)
	require.Equal(t, []string{"ID", "STATUS", "ADDRESS", "PHI", "GENERATION", "VERSION"}, strings.Fields(lines[0]))
	for i, want := range [][2]string{{"a", "self"}, {"b", "live"}, {"c", "live"}} {
		f := strings.Fields(lines[i+1])
		require.Equal(t, want[0], f[0], out)
		require.Equal(t, want[1], f[1], out)
		require.Equal(t, ring[i].gossipAddr(), f[2], out)
	}

	// -json prints a JSON array; the agent also comes from the environment.
	code, out, errOut = runCLI(t, map[string]string{"SCUTTLEBUTT_AGENT": addr}, "", "members", "-json")
	require.Equal(t, exitOK, code, errOut)
	var members []memberJSON
	require.NoError(t, json.Unmarshal([]byte(out), &members), out)
	require.Len(t, members, 3)
	require.True(t, members[0].Self)
	require.Equal(t, "c", members[2].ID)
	require.Equal(t, "live", members[2].Status)

	// The command line wins over the environment.
	code, _, errOut = runCLI(t, map[string]string{"SCUTTLEBUTT_AGENT": deadAgent(t)}, "", "members", "-agent", addr)
	require.Equal(t, exitOK, code, errOut)
	code, _, errOut = runCLI(t, map[string]string{"SCUTTLEBUTT_JSON": "maybe"}, "", "members", "-agent", addr)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, "$SCUTTLEBUTT_JSON")
}

func TestCLIGetSetDelete(t *testing.T) {
	ring := startRing(t, []string{"a", "b"}, "-http-write", "-set", "role=web")
	a, b := ring[0].httpAddr(), ring[1].httpAddr()
	env := map[string]string{"SCUTTLEBUTT_AGENT": a}

	code, _, errOut := runCLI(t, env, "", "set", "greeting=hello=world")
	require.Equal(t, exitOK, code, errOut)
	code, _, errOut = runCLI(t, env, "", "set", "lease=x", "-ttl", "200ms")
	require.Equal(t, exitOK, code, errOut)
	code, _, errOut = runCLI(t, env, "", "set", "-ttl", "1h", "svc/http=:8080")
	require.Equal(t, exitOK, code, errOut)

	// b learns a's keys; get prints key=value lines in key order.
	require.Eventually(t, func() bool {
		code, out, _ := runCLI(t, nil, "", "get", "-agent", b, "a")
		return code == exitOK && out == "greeting=hello=world\nrole=web\nsvc/http=:8080\n"
	}, 10*time.Second, 20*time.Millisecond)
	code, out, errOut := runCLI(t, nil, "", "get", "a", "greeting", "-agent", b)
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, "hello=world\n", out)
	code, out, errOut = runCLI(t, nil, "", "get", "-agent", b, "-json", "a", "svc/http")
	require.Equal(t, exitOK, code, errOut)
	var k keyJSON
	require.NoError(t, json.Unmarshal([]byte(out), &k))
	require.Equal(t, keyJSON{Node: "a", Key: "svc/http", Value: ":8080"}, k)
	code, out, _ = runCLI(t, nil, "", "get", "-agent", b, "-json", "a")
	require.Equal(t, exitOK, code)
	var n nodeJSON
	require.NoError(t, json.Unmarshal([]byte(out), &n))
	require.Equal(t, "web", n.Keys["role"])

	// Unknown node or key: 404, exit 1, the reason on stderr.
	code, out, errOut = runCLI(t, env, "", "get", "nobody")
	require.Equal(t, exitFailure, code)
	require.Empty(t, out)
	require.Contains(t, errOut, `unknown node "nobody"`)
	require.Contains(t, errOut, "404")
	code, _, errOut = runCLI(t, env, "", "get", "a", "nokey")
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "nokey")

	require.Eventually(t, func() bool {
		code, _, _ := runCLI(t, env, "", "get", "a", "lease")
		return code == exitFailure
	}, 10*time.Second, 20*time.Millisecond, "the TTL did not expire")

	code, _, errOut = runCLI(t, env, "", "delete", "greeting")
	require.Equal(t, exitOK, code, errOut)
	code, _, errOut = runCLI(t, env, "", "delete", "greeting")
	require.Equal(t, exitFailure, code, "a second delete finds no key")
	require.Contains(t, errOut, "no key")
	require.Eventually(t, func() bool {
		_, ok := ring[1].sb.Get("a", "greeting")
		return !ok
	}, 10*time.Second, 10*time.Millisecond)

	// b was started with -http-write too; a read-only agent refuses.
	ro := startTestAgent(t, "-id", "ro")
	code, _, errOut = runCLI(t, nil, "", "set", "-agent", ro.httpAddr(), "k=v")
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "403")
	require.Contains(t, errOut, "-http-write")
}

func TestCLIWatch(t *testing.T) {
	ring := startRing(t, []string{"a", "b"}, "-http-write")
	type result struct {
		code     int
		out, err string
	}
	done := make(chan result, 1)
	go func() {
		c, out, errb := testCLI(nil, "")
		code := run(t.Context(), c, []string{"watch", "-agent", ring[0].httpAddr(), "-count", "2"})
		done <- result{code, out.String(), errb.String()}
	}()
	// The watch subscribes asynchronously: keep changing the key until two
	// events came through.
	for i := 0; ; i++ {
		code, _, errOut := runCLI(t, nil, "", "set", "-agent", ring[1].httpAddr(), "n="+strings.Repeat("x", i%5+1))
		require.Equal(t, exitOK, code, errOut)
		select {
		case r := <-done:
			require.Equal(t, exitOK, r.code, r.err)
			lines := strings.Split(strings.TrimSpace(r.out), "\n")
			require.Len(t, lines, 2, r.out)
			require.Regexp(t, `^\d\d:\d\d:\d\d\.\d{3} (key  b n=x+|node b update 127\.0\.0\.1:\d+)$`, lines[0])
			return
		case <-time.After(50 * time.Millisecond):
		}
		require.Less(t, i, 400, "watch printed no two events")
	}
}

func TestCLIWatchJSONReplay(t *testing.T) {
	ring := startRing(t, []string{"a", "b"}, "-set", "role=web")
	require.Eventually(t, func() bool { _, ok := ring[0].sb.Get("b", "role"); return ok }, 10*time.Second, 10*time.Millisecond)
	code, out, errOut := runCLI(t, nil, "", "watch", "-agent", ring[0].httpAddr(), "-json", "-replay", "-count", "3")
	require.Equal(t, exitOK, code, errOut)
	var kinds []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var e eventJSON
		require.NoError(t, json.Unmarshal([]byte(line), &e), line)
		kinds = append(kinds, e.Kind+":"+e.Type+":"+e.Node)
	}
	require.Contains(t, kinds, "node:live:b")
	require.Contains(t, kinds, "key:set:b")
}
