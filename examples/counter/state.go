package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"

	"github.com/scuttlego/scuttlebutt/examples/counter/pncounter"
)

// stateFile keeps a node's counter totals on disk, so that a node restarted
// with the same ID publishes them again. Without it a restarted node starts
// from nothing, and its new incarnation's empty state replaces the old one
// everywhere: its contribution to every counter drops to 0.
type stateFile struct {
	path string
	id   string
}

// fileState is the file's content.
type fileState struct {
	ID     string           `json:"id"`
	Totals map[string]int64 `json:"totals"` // counter name → this node's total
}

// load reads the totals; a missing file holds none. A file written by
// another node ID is refused, since publishing its totals would count them
// twice.
func (f *stateFile) load() (map[string]int64, error) {
	b, err := os.ReadFile(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]int64{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	var s fileState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("state %s: %w", f.path, err)
	}
	if s.ID != f.id {
		return nil, fmt.Errorf("state %s belongs to node %q, not %q", f.path, s.ID, f.id)
	}
	for name := range s.Totals {
		if err := pncounter.CheckName(name); err != nil {
			return nil, fmt.Errorf("state %s: %w", f.path, err)
		}
	}
	if s.Totals == nil {
		s.Totals = map[string]int64{}
	}
	return s.Totals, nil
}

// save writes the totals atomically: to a temporary file in the same
// directory, synced, then renamed over the old file, so that a crash leaves
// either the old totals or the new ones.
func (f *stateFile) save(totals map[string]int64) (err error) {
	b, err := json.MarshalIndent(fileState{ID: f.id, Totals: maps.Clone(totals)}, "", "  ")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	dir := filepath.Dir(f.path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	_, err = tmp.Write(append(b, '\n'))
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), f.path)
	}
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	// Make the rename itself durable; not every system can sync a
	// directory, and the file is in place either way.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
