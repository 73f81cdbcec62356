package main

import (
	"encoding/json"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt/internal/seal"
	"github.com/scuttlego/scuttlebutt/internal/wire"
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
	ack := `{"type":"ack","from":"probe","delta":{"nodes":[{"id":"probe","addr":"127.0.0.1:9","generation":1,"flags":1,
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

func TestInjectEncrypted(t *testing.T) {
	file := writeKeyFile(t, []byte(hexKey(key2)+"\n"+hexKey(key1)+"\n"))
	a := startTestAgent(t, "-id", "a", "-key-file", file)
	syn := `{"type":"syn","from":"probe"}`

	// Sealed with the primary key: the node answers, and the answer opens.
	code, out, errOut := runCLI(t, nil, "", "inject", "-key-file", file, "-wait", "5s", "-count", "1", a.gossipAddr(), syn)
	require.Equal(t, exitOK, code, errOut)
	m := replies(t, out)[0]
	require.Empty(t, m.Error)
	require.Equal(t, "synack", m.Type)
	require.Equal(t, []string{"encrypted"}, m.Flags)
	require.Equal(t, "a", m.From)

	// Compressed, and sealed with the node's second key: the node accepts
	// it and answers, sealed with its primary key, which this file lacks.
	second := writeKeyFile(t, []byte(hexKey(key1)+"\n"))
	code, out, errOut = runCLI(t, nil, "", "inject", "-key-file", second, "-compress", "-wait", "5s", "-count", "1", a.gossipAddr(), syn)
	require.Equal(t, exitOK, code, errOut)
	m = replies(t, out)[0]
	require.Equal(t, "synack", m.Type)
	require.Equal(t, []string{"encrypted"}, m.Flags)
	require.Contains(t, m.Error, "authentication")

	// A plaintext Syn is dropped and counted, and answered with an
	// Unauthenticated notice, sealed: it does not open without the key.
	before := a.sb.Stats().DroppedAuth
	code, out, errOut = runCLI(t, nil, "", "inject", "-wait", "5s", "-count", "1", a.gossipAddr(), syn)
	require.Equal(t, exitOK, code, errOut)
	m = replies(t, out)[0]
	require.Equal(t, "unauthenticated", m.Type)
	require.Equal(t, []string{"encrypted"}, m.Flags)
	require.Contains(t, m.Error, "authentication")
	require.Eventually(t, func() bool { return a.sb.Stats().DroppedAuth > before }, 5*time.Second, 5*time.Millisecond)
}

// fakeNode answers one datagram with reply(request) and hands the request
// to the test.
func fakeNode(t *testing.T, reply func(req []byte) []byte) (string, <-chan []byte) {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { pc.Close() })
	got := make(chan []byte, 1)
	go func() {
		buf := make([]byte, 65536)
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		req := append([]byte(nil), buf[:n]...)
		got <- req
		_, _ = pc.WriteTo(reply(req), from)
	}()
	return pc.LocalAddr().String(), got
}

// The framing of inject's datagram and of replies matches the library's:
// a compressed and encrypted SynAck opens and decodes.
func TestInjectFramingMatchesTheLibrary(t *testing.T) {
	keys := [][]byte{key2, key1}
	s, err := newSealer([][]byte{key1, key2}) // the node's primary is inject's second key
	require.NoError(t, err)
	ack := wire.SynAck{From: "fake", Digest: wire.Digest{Complete: true, Entries: []wire.DigestEntry{{ID: "fake", Generation: 7, Flags: 0, MaxVersion: 2}}},
		Delta: wire.Delta{Nodes: []wire.NodeDelta{{ID: "fake", Addr: "127.0.0.1:1", Generation: 7, Flags: 0, MaxVersion: 2, Entries: []wire.Entry{
			{Key: "role", Value: strings.Repeat("web", 100), Version: 1}, {Key: "old", Version: 2, Status: wire.StatusDeleted}}}}}}
	addr, requests := fakeNode(t, func([]byte) []byte {
		body := seal.Compress(nil, wire.AppendSynAck(nil, &ack))
		d, err := s.Seal(wire.Header{Type: wire.MsgSynAck, ClusterID: "c"}, body, true)
		if err != nil {
			panic(err)
		}
		return d
	})
	file := writeKeyFile(t, []byte(hexKey(keys[0])+"\n"+hexKey(keys[1])+"\n"))
	code, out, errOut := runCLI(t, nil, "", "inject", "-cluster", "c", "-key-file", file, "-compress", "-wait", "5s", "-count", "1", addr,
		`{"type":"syn","from":"probe","digest":{"complete":false,"entries":[{"id":"fake","generation":7,"flags":1,"max_version":0,"gc_version":0}]}}`)
	require.Equal(t, exitOK, code, errOut)

	// What inject sent opens with the library's sealer and decodes.
	req := <-requests
	h, body, err := wire.ParseHeader(req)
	require.NoError(t, err)
	require.Equal(t, wire.FlagCompressed|wire.FlagEncrypted, h.Flags)
	require.Equal(t, "c", h.ClusterID)
	plain, err := s.Open(req[:len(req)-len(body)], h.Flags, body)
	require.NoError(t, err)
	var syn wire.Syn
	require.NoError(t, wire.DecodeSyn(plain, &syn))
	require.Equal(t, "probe", syn.From)
	require.False(t, syn.Digest.Complete)
	require.Equal(t, []wire.DigestEntry{{ID: "fake", Generation: 7, Flags: wire.DigestRemoved}}, syn.Digest.Entries)

	// And the reply was opened, decompressed and decoded.
	m := replies(t, out)[0]
	require.Empty(t, m.Error)
	require.Equal(t, []string{"compressed", "encrypted"}, m.Flags)
	require.Equal(t, "synack", m.Type)
	require.Equal(t, "fake", m.From)
	require.Len(t, m.Delta.Nodes, 1)
	require.Equal(t, []entryJSON{{Key: "role", Value: strings.Repeat("web", 100), Version: 1, Status: "set"}, {Key: "old", Version: 2, Status: "deleted"}}, m.Delta.Nodes[0].Entries)

	// Without the keys the reply is still printed, with the reason.
	addr, _ = fakeNode(t, func([]byte) []byte {
		d, _ := s.Seal(wire.Header{Type: wire.MsgSynAck, ClusterID: "c"}, wire.AppendSynAck(nil, &ack), false)
		return d
	})
	code, out, errOut = runCLI(t, nil, "", "inject", "-cluster", "c", "-wait", "5s", "-count", "1", addr, `{"type":"syn","from":"probe"}`)
	require.Equal(t, exitOK, code, errOut)
	m = replies(t, out)[0]
	require.Equal(t, "synack", m.Type)
	require.Equal(t, []string{"encrypted"}, m.Flags)
	require.Contains(t, m.Error, "authentication")
}

// Every message type inject sends decodes back to what was asked: a node
// that echoes the datagram shows what went out.
func TestInjectEncodesEveryType(t *testing.T) {
	delta := `"delta":{"nodes":[{"id":"p","addr":"127.0.0.1:9","generation":3,"flags":4,"from_version":1,"max_version":2,"gc_version":1,"reset":true,"entries":[{"key":"k","value":"v","version":2,"status":"set"}]}]}`
	digest := `"digest":{"complete":true,"entries":[{"id":"p","generation":3,"flags":4,"max_version":2,"gc_version":1}]}`
	for _, msg := range []string{
		`{"type":"syn","from":"p",` + digest + `}`,
		`{"type":"synack","from":"p",` + digest + `,` + delta + `}`,
		`{"type":"ack","from":"p",` + delta + `}`,
		`{"type":"heartbeat","from":"p","generation":3,"seq":9,"heard":2,"subjects":4,"max_version":2}`,
		`{"type":"push","from":"p","hops":1,` + delta + `}`,
		`{"type":"sum","from":"p","generation":3,"nodes":5,"fingerprint":1234567,"answer":true}`,
		`{"type":"ranges","from":"p","generation":3,"ranges":[{"depth":1,"prefix":2,"nodes":3,"fingerprint":99}],` +
			`"covered":[{"depth":2,"prefix":33,"nodes":0,"fingerprint":0}],"digest":{"complete":false,"entries":[{"id":"q","generation":3,"flags":0,"max_version":2,"gc_version":0}]}}`,
	} {
		addr, _ := fakeNode(t, func(req []byte) []byte { return req })
		code, out, errOut := runCLI(t, nil, "", "inject", "-wait", "5s", "-count", "1", addr, msg)
		require.Equal(t, exitOK, code, "%s: %s", msg, errOut)
		var want, got map[string]any
		require.NoError(t, json.Unmarshal([]byte(msg), &want))
		require.NoError(t, json.Unmarshal([]byte(out), &got))
		for _, k := range []string{"source", "bytes", "cluster"} {
			delete(got, k)
		}
		require.Equal(t, want, got, msg)
	}
	for _, bad := range []string{
		`{"type":"syn",` + delta + `}`, `{"type":"ack",` + digest + `}`, `{"type":"heartbeat",` + delta + `}`,
		`{"type":"ack","seq":1}`, `{"type":"syn","hops":1}`, `{"type":"syn","fingerprint":1}`, `{"type":"sum",` + delta + `}`,
		`{"type":"syn","ranges":[{"depth":1,"prefix":0,"nodes":0,"fingerprint":0}]}`, `{"type":"ranges",` + delta + `}`,
	} {
		code, _, _ := runCLI(t, nil, "", "inject", "127.0.0.1:1", bad)
		require.Equal(t, exitUsage, code, bad)
	}
}
