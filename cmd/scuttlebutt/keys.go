package main

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/scuttlego/scuttlebutt"
)

// A key file holds the cluster's AES keys (16, 24 or 32 bytes: AES-128,
// -192, -256) in one of two forms:
//
//   - hex, one key per line, the first being the primary (the key every
//     datagram is sealed with) and the others only accepted; blank lines
//     and lines starting with # are ignored. Several keys are how keys are
//     rotated without downtime (README, "Rotating keys").
//   - raw: the file is exactly one key of 16, 24 or 32 bytes.

// readKeyFile reads the keys of a key file, the primary first.
func readKeyFile(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	keys, err := parseKeys(data)
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return keys, nil
}

// parseKeys parses the contents of a key file.
func parseKeys(data []byte) ([][]byte, error) {
	keys, hexErr := parseHexKeys(data)
	if hexErr == nil {
		return keys, nil
	}
	switch len(data) {
	case 16, 24, 32:
		return [][]byte{bytes.Clone(data)}, nil
	}
	return nil, hexErr
}

func parseHexKeys(data []byte) ([][]byte, error) {
	var keys [][]byte
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := hex.DecodeString(line)
		if err != nil {
			return nil, fmt.Errorf("line %d: not a hex key (nor is the file a raw 16, 24 or 32-byte key)", i+1)
		}
		switch len(k) {
		case 16, 24, 32:
		default:
			return nil, fmt.Errorf("line %d: a %d-byte key, want 16, 24 or 32 bytes (32, 48 or 64 hex digits)", i+1, len(k))
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no key")
	}
	return keys, nil
}

// newKeyring returns a keyring holding keys, the first as primary.
func newKeyring(keys [][]byte) (*scuttlebutt.Keyring, error) {
	return scuttlebutt.NewKeyring(keys[1:], keys[0])
}

// syncKeyring makes kr hold exactly keys, with keys[0] as primary, in the
// order that never leaves a moment in which a key of either set is refused:
// add the new keys, switch the primary, then remove the old ones.
func syncKeyring(kr *scuttlebutt.Keyring, keys [][]byte) error {
	for _, k := range keys {
		if err := kr.AddKey(k); err != nil {
			return err
		}
	}
	if err := kr.UseKey(keys[0]); err != nil {
		return err
	}
	for _, old := range kr.Keys() {
		keep := false
		for _, k := range keys {
			keep = keep || bytes.Equal(k, old)
		}
		if !keep {
			if err := kr.RemoveKey(old); err != nil {
				return err
			}
		}
	}
	return nil
}

// keyFileWarning returns a warning for a key file that users other than its
// owner may read, or "".
func keyFileWarning(path string) string {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("key file %s is accessible by other users (mode %v); chmod 600 it", path, fi.Mode().Perm())
}
