package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scuttlego/scuttlebutt"
	"github.com/scuttlego/scuttlebutt/examples/counter/pncounter"
	"github.com/stretchr/testify/require"
)

func TestStateFileRoundTrip(t *testing.T) {
	dir := t.TempDir()
	f := &stateFile{path: filepath.Join(dir, "a.json"), id: "a"}
	totals, err := f.load()
	require.NoError(t, err)
	require.Empty(t, totals, "a missing file holds no totals")

	require.NoError(t, f.save(map[string]int64{"hits": -3, "other": 9}))
	require.NoError(t, f.save(map[string]int64{"hits": 4}))
	totals, err = f.load()
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"hits": 4}, totals)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left behind")
	var raw fileState
	b, err := os.ReadFile(f.path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &raw))
	require.Equal(t, fileState{ID: "a", Totals: map[string]int64{"hits": 4}}, raw)

	other := &stateFile{path: f.path, id: "b"}
	_, err = other.load()
	require.ErrorContains(t, err, `belongs to node "a"`)

	require.NoError(t, os.WriteFile(f.path, []byte("{"), 0o600))
	_, err = f.load()
	require.Error(t, err)
	require.NoError(t, os.WriteFile(f.path, []byte(`{"id":"a","totals":{"":1}}`), 0o600))
	_, err = f.load()
	require.ErrorIs(t, err, pncounter.ErrInvalidName)

	bad := &stateFile{path: filepath.Join(dir, "missing-dir", "a.json"), id: "a"}
	require.Error(t, bad.save(map[string]int64{"hits": 1}))
}

func TestStateFileFollowsEveryChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node-1.json")
	opts := testOptions()
	n, err := startNode(opts, nodeConfig{id: "node-1", listen: "127.0.0.1:0", http: "127.0.0.1:0", state: path}, testPrinter())
	require.NoError(t, err)
	f := &stateFile{path: path, id: "node-1"}
	inc(t, n, "a", 2)
	inc(t, n, "b", -5)
	totals, err := f.load()
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"a": 2, "b": -5}, totals, "written after each increment")
	_, err = n.counter.reset("a")
	require.NoError(t, err)
	totals, err = f.load()
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"b": -5}, totals, "a withdrawn total leaves the file")
	require.NoError(t, n.leave(testPrinter()))

	// A refused write changes neither the file nor the total.
	_, err = n.counter.inc("b", 1)
	require.Error(t, err)
	totals, err = f.load()
	require.NoError(t, err)
	require.Equal(t, map[string]int64{"b": -5}, totals)
	require.Equal(t, int64(-5), n.counter.totals["b"])

	n, err = startNode(opts, nodeConfig{id: "node-1", listen: "127.0.0.1:0", http: "127.0.0.1:0", state: path}, testPrinter())
	require.NoError(t, err)
	defer n.kill()
	state, _ := n.sb.NodeState("node-1")
	require.Equal(t, map[string]string{"counter/b": "-5"}, state, "published again at start")
}

func TestCounterKeysFitTheLibrary(t *testing.T) {
	require.Equal(t, scuttlebutt.MaxKeyLength, pncounter.MaxKeyLength)
	require.NoError(t, pncounter.CheckName(strings.Repeat("k", pncounter.MaxNameLength)))
	n, err := startNode(testOptions(), nodeConfig{id: "node-1", listen: "127.0.0.1:0", http: "127.0.0.1:0"}, testPrinter())
	require.NoError(t, err)
	defer n.kill()
	_, err = n.counter.inc(strings.Repeat("k", pncounter.MaxNameLength), math.MinInt64)
	require.NoError(t, err, "the longest name with the longest total is a valid entry")
}
