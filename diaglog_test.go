package scuttlebutt_test

import (
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Drops are logged at warn level by cause with the sender's address,
// once while they persist; exchanges at debug level; a join at info.
func TestLogsSayWhatHappened(t *testing.T) {
	a, aLogs := startUDP(t, "a", nil)
	b, bLogs := startUDP(t, "b", nil)
	require.NoError(t, b.Join([]string{addrOf(a)}))
	require.True(t, bLogs.has(slog.LevelInfo, "joined")())
	require.Eventually(t, bLogs.has(slog.LevelDebug, "datagram sent", "to", addrOf(a), "type", "syn"), 5*time.Second, time.Millisecond)
	require.Eventually(t, bLogs.has(slog.LevelDebug, "datagram received", "from", addrOf(a), "type", "synack"), 5*time.Second, time.Millisecond)
	require.Eventually(t, aLogs.has(slog.LevelInfo, "node live", "peer", "b", "reason", "first seen"), 5*time.Second, time.Millisecond)
	require.Eventually(t, bLogs.has(slog.LevelInfo, "node live", "peer", "a", "addr", addrOf(a)), 5*time.Second, time.Millisecond)

	conn, err := net.Dial("udp", addrOf(a))
	require.NoError(t, err)
	defer conn.Close()
	from := conn.LocalAddr().String()
	for range 5 {
		_, _ = conn.Write([]byte{0xB5, 1, 9, 0, 0})
	}
	_, _ = conn.Write([]byte(strings.Repeat("\xff", 3000)))
	require.Eventually(t, aLogs.has(slog.LevelWarn, "datagram dropped: malformed", "from", from, "cause", "malformed"), 5*time.Second, time.Millisecond)
	require.Eventually(t, aLogs.has(slog.LevelWarn, "datagram dropped: over MaxPacketSize", "from", from, "cause", "oversize"), 5*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { return a.Stats().DroppedMalformed >= 5 }, 5*time.Second, time.Millisecond)
	require.Len(t, aLogs.find(slog.LevelWarn, "datagram dropped: malformed", "from", from), 1, "rate-limited: %s", aLogs.dump())
}
