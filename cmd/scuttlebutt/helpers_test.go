package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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

// testCLI returns a cli with the given environment and standard input,
// capturing its output.
func testCLI(env map[string]string, stdin string) (*cli, *syncBuffer, *syncBuffer) {
	out, errb := &syncBuffer{}, &syncBuffer{}
	return &cli{
		stdin:  strings.NewReader(stdin),
		stdout: out,
		stderr: errb,
		getenv: func(k string) string { return env[k] },
	}, out, errb
}

// runCLI runs the command line args and returns its exit code and output.
func runCLI(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	c, out, errb := testCLI(env, stdin)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, c, args)
	return code, out.String(), errb.String()
}

// fastFlags make agents gossip every 100 ms on loopback and convict a
// silent peer within about a second.
var fastFlags = []string{
	"-listen", "127.0.0.1:0", "-http", "127.0.0.1:0", "-interval", "100ms",
	"-acceptable-pause", "500ms", "-first-heartbeat", "100ms", "-leave-timeout", "2s", "-log", "debug",
}

// startTestAgent starts an agent in-process with fastFlags and args
// (later flags win), stopped abruptly at the end of the test. Its log is
// printed if the test fails.
func startTestAgent(t *testing.T, args ...string) *agent {
	t.Helper()
	c, _, errb := testCLI(nil, "")
	o, code, ok := parseAgentFlags(c, append(append([]string{}, fastFlags...), args...))
	require.True(t, ok, "agent flags %q: exit %d: %s", args, code, errb)
	logs := &syncBuffer{}
	a, err := startAgent(o, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = a.close()
		if t.Failed() {
			t.Logf("log of agent %s:\n%s", o.id, logs)
		}
	})
	return a
}

// startRing starts agents with the given IDs, each joining the first, and
// waits until every one sees every other live.
func startRing(t *testing.T, ids []string, args ...string) []*agent {
	t.Helper()
	var agents []*agent
	for i, id := range ids {
		extra := append([]string{"-id", id}, args...)
		if i > 0 {
			extra = append(extra, "-join", agents[0].gossipAddr())
		}
		a := startTestAgent(t, extra...)
		a.join()
		agents = append(agents, a)
	}
	require.Eventually(t, func() bool {
		for _, a := range agents {
			if len(a.sb.LiveNodes()) != len(ids)-1 {
				return false
			}
		}
		return true
	}, 15*time.Second, 10*time.Millisecond, "the ring did not form")
	return agents
}

// gossipAddr is the agent's advertised gossip address.
func (a *agent) gossipAddr() string { return a.sb.LocalNode().GossipPublicAddress }

// url is the agent's HTTP API address with path.
func (a *agent) url(path string) string { return "http://" + a.httpAddr() + path }

// httpDo sends a request to the agent and returns the status and body.
func httpDo(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// getJSON fetches url into out, requiring status 200.
func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	status, body := httpDo(t, http.MethodGet, url, "")
	require.Equal(t, http.StatusOK, status, body)
	require.NoError(t, json.Unmarshal([]byte(body), out), body)
}

// requireErrorJSON checks that body is an error object.
func requireErrorJSON(t *testing.T, body string) string {
	t.Helper()
	var e errorJSON
	require.NoError(t, json.Unmarshal([]byte(body), &e), body)
	require.NotEmpty(t, e.Error, body)
	return e.Error
}
