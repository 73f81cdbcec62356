package scuttlebutt

import (
	"bytes"
	"log"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStdLoggerAdapter(t *testing.T) {
	var buf bytes.Buffer
	cfg := &Config{Logger: log.New(&buf, "gossip: ", 0)}
	l := newLogger(cfg).With("node", "a").WithGroup("peer")
	l.Warn("receive failed", "addr", "10.0.0.1:9111")
	l.Debug("not shown")
	require.Equal(t, "gossip: WARN receive failed node=a peer.addr=10.0.0.1:9111\n", buf.String())

	s := slog.New(slog.NewTextHandler(&buf, nil))
	require.Same(t, s, newLogger(&Config{Logger: log.New(&buf, "", 0), StructuredLogger: s}), "StructuredLogger wins")
	require.NotNil(t, newLogger(&Config{}))
}
