package wire

import (
	"encoding/hex"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// checkGolden compares got with testdata/golden/name.hex, or rewrites the
// file under -update. The files pin the wire format: any change to it
// must be deliberate.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".hex")
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(hexLines(got)), 0o644))
		return
	}
	text, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create it")
	want, err := hex.DecodeString(strings.Join(strings.Fields(string(text)), ""))
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(want), hex.EncodeToString(got), "encoding of %s differs from %s", name, path)
}

// hexLines formats b as hex, 32 bytes to a line.
func hexLines(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 {
		n := min(len(b), 32)
		sb.WriteString(hex.EncodeToString(b[:n]))
		sb.WriteByte('\n')
		b = b[n:]
	}
	return sb.String()
}

func TestGoldenHeader(t *testing.T) {
	h := sampleHeader()
	b := AppendHeader(nil, &h)
	checkGolden(t, "header", b)
	got, body, err := ParseHeader(b)
	require.NoError(t, err)
	require.Equal(t, h, got)
	require.Empty(t, body)
}

func TestGoldenSyn(t *testing.T) {
	m := sampleSyn()
	b := AppendSyn(nil, &m)
	checkGolden(t, "syn", b)
	var got Syn
	require.NoError(t, DecodeSyn(b, &got))
	require.Equal(t, normSyn(m), normSyn(got))
}

func TestGoldenSynAck(t *testing.T) {
	m := sampleSynAck()
	b := AppendSynAck(nil, &m)
	checkGolden(t, "synack", b)
	var got SynAck
	require.NoError(t, DecodeSynAck(b, &got))
	require.Equal(t, normSynAck(m), normSynAck(got))
}

func TestGoldenAck(t *testing.T) {
	m := sampleAck()
	b := AppendAck(nil, &m)
	checkGolden(t, "ack", b)
	var got Ack
	require.NoError(t, DecodeAck(b, &got))
	require.Equal(t, normAck(m), normAck(got))
}
