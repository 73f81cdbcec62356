package main

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var (
	key1 = bytes.Repeat([]byte{1}, 16)
	key2 = bytes.Repeat([]byte{2}, 32)
	key3 = bytes.Repeat([]byte{3}, 24)
)

func hexKey(k []byte) string { return hex.EncodeToString(k) }

func writeKeyFile(t *testing.T, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(p, content, 0o600))
	return p
}

func TestParseKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		want [][]byte
		err  string
	}{
		{"one hex key", hexKey(key1) + "\n", [][]byte{key1}, ""},
		{"keyring", "# primary first\n" + hexKey(key2) + "\n\n  " + strings.ToUpper(hexKey(key1)) + "  \n", [][]byte{key2, key1}, ""},
		{"raw 16 bytes", string(key1), [][]byte{key1}, ""},
		{"raw 32 bytes with a newline in it", "0123456789abcdef\n123456789abcdef", [][]byte{[]byte("0123456789abcdef\n123456789abcdef")}, ""},
		{"empty", "", nil, "no key"},
		{"only comments", "# nothing\n", nil, "no key"},
		{"short hex", "abcd\n", nil, "2-byte key"},
		{"not hex", "zzzz\n", nil, "line 1: not a hex key"},
	} {
		got, err := parseKeys([]byte(tc.data))
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, tc.name)
			continue
		}
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, got, tc.name)
	}
}

func TestKeyFileWarning(t *testing.T) {
	p := writeKeyFile(t, []byte(hexKey(key1)))
	require.Empty(t, keyFileWarning(p))
	require.NoError(t, os.Chmod(p, 0o644))
	require.Contains(t, keyFileWarning(p), "chmod 600")
}

func TestSyncKeyringRotates(t *testing.T) {
	kr, err := newKeyring([][]byte{key1})
	require.NoError(t, err)
	// Step 1: accept key2 too.
	require.NoError(t, syncKeyring(kr, [][]byte{key1, key2}))
	require.Equal(t, [][]byte{key1, key2}, kr.Keys())
	// Step 2: seal with key2.
	require.NoError(t, syncKeyring(kr, [][]byte{key2, key1}))
	require.Equal(t, key2, kr.PrimaryKey())
	// Step 3: drop key1; and a wholly new set replaces the old one.
	require.NoError(t, syncKeyring(kr, [][]byte{key2}))
	require.Equal(t, [][]byte{key2}, kr.Keys())
	require.NoError(t, syncKeyring(kr, [][]byte{key3}))
	require.Equal(t, [][]byte{key3}, kr.Keys())
}

// An encrypted ring forms; a node without the key stays out; the key file
// is reloaded in place.
func TestAgentEncryptedRingAndReload(t *testing.T) {
	file := writeKeyFile(t, []byte(hexKey(key1)+"\n"))
	ring := startRing(t, []string{"a", "b"}, "-key-file", file)
	require.NotNil(t, ring[0].sb.Keyring())

	outsider := startTestAgent(t, "-id", "outsider", "-join", ring[0].gossipAddr())
	outsider.join()
	require.Eventually(t, func() bool { return ring[0].sb.Stats().DroppedAuth > 0 }, 10*time.Second, 10*time.Millisecond)
	require.Empty(t, outsider.sb.LiveNodes())

	require.NoError(t, os.WriteFile(file, []byte(hexKey(key2)+"\n"+hexKey(key1)+"\n"), 0o600))
	require.NoError(t, ring[0].reloadKeys())
	require.Equal(t, [][]byte{key2, key1}, ring[0].sb.Keyring().Keys())
	require.NoError(t, os.WriteFile(file, []byte("garbage"), 0o600))
	require.Error(t, ring[0].reloadKeys(), "a bad file keeps the current keys")
	require.Equal(t, [][]byte{key2, key1}, ring[0].sb.Keyring().Keys())

	plain := startTestAgent(t, "-id", "plain")
	require.ErrorContains(t, plain.reloadKeys(), "no -key-file")

}
