package main

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// replies decodes inject's output, one JSON message per line.
func replies(t *testing.T, out string) []messageJSON {
	t.Helper()
	var ms []messageJSON
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m messageJSON
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		ms = append(ms, m)
	}
	return ms
}

func TestInjectSynGetsSynAck(t *testing.T) {
	ring := startRing(t, []string{"a", "b"})
	addr := ring[0].gossipAddr()
	syn := `{"type": "syn", "from": "probe", "digest": {"complete": true, "entries": []}}`
	for _, tc := range []struct {
		name, stdin string
		args        []string
	}{
		{"argument", "", []string{"inject", "-wait", "5s", "-count", "1", addr, syn}},
		{"standard input", syn, []string{"inject", addr, "-wait", "5s", "-count", "1"}},
	} {
		code, out, errOut := runCLI(t, nil, tc.stdin, tc.args...)
		require.Equal(t, exitOK, code, "%s: %s", tc.name, errOut)
		ms := replies(t, out)
		require.Len(t, ms, 1, tc.name)
		m := ms[0]
		require.Empty(t, m.Error, tc.name)
		require.Equal(t, "synack", m.Type, tc.name)
		require.Equal(t, "a", m.From, tc.name)
		require.Equal(t, "default", m.Cluster, tc.name)
		require.Equal(t, addr, m.Source, tc.name)
		require.NotNil(t, m.Digest, tc.name)
		require.NotNil(t, m.Delta, tc.name)
		ids := []string{}
		for _, e := range m.Digest.Entries {
			ids = append(ids, e.ID)
			require.NotZero(t, e.Generation)
		}
		require.Contains(t, ids, "a", "%s: the responder lists itself first", tc.name)
	}
}

func TestInjectWrongCluster(t *testing.T) {
	a := startTestAgent(t, "-id", "a", "-cluster", "prod")
	code, out, errOut := runCLI(t, nil, "", "inject", a.gossipAddr(), `{"type":"syn","from":"probe"}`, "-wait", "5s", "-count", "1")
	require.Equal(t, exitOK, code, errOut)
	m := replies(t, out)[0]
	require.Equal(t, "wrongcluster", m.Type)
	require.Equal(t, "prod", m.Cluster)

	code, out, errOut = runCLI(t, map[string]string{"SCUTTLEBUTT_CLUSTER": "prod"}, "", "inject", a.gossipAddr(), `{"type":"syn","from":"probe"}`, "-wait", "5s", "-count", "1")
	require.Equal(t, exitOK, code, errOut)
	require.Equal(t, "synack", replies(t, out)[0].Type)
}

// An Ack carries state: the node takes the delta of an unknown node.
func TestInjectAckAddsState(t *testing.T) {
	a := startTestAgent(t, "-id", "a")
	ack := `{"type":"ack","from":"probe","delta":{"nodes":[{"id":"probe","addr":"127.0.0.1:9","generation":1,"heartbeat":1,
		"from_version":0,"max_version":2,"gc_version":0,"entries":[
		{"key":"role","value":"probe","version":1,"status":"set"},{"key":"gone","version":2,"status":"deleted"}]}]}}`
	code, out, errOut := runCLI(t, nil, "", "inject", a.gossipAddr(), ack)
	require.Equal(t, exitOK, code, errOut)
	require.Empty(t, out, "without -wait nothing is printed")
	require.Eventually(t, func() bool {
		v, ok := a.sb.Get("probe", "role")
		return ok && v == "probe"
	}, 10*time.Second, 10*time.Millisecond)
	_, ok := a.sb.Get("probe", "gone")
	require.False(t, ok)

	code, _, errOut = runCLI(t, nil, "", "inject", a.gossipAddr(), `{"type":"ack","from":"p","delta":{"nodes":[{"id":"p","entries":[{"key":"k","status":"maybe"}]}]}}`)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errOut, `status "maybe"`)
}

func TestInjectNoReplyFails(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0") // reads nothing, answers nothing
	require.NoError(t, err)
	defer pc.Close()
	code, _, errOut := runCLI(t, nil, "", "inject", "-wait", "200ms", pc.LocalAddr().String(), `{"type":"syn","from":"probe"}`)
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "no reply")
}
