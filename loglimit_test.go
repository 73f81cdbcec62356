package scuttlebutt

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestLogLimiter(t *testing.T) {
	l := &logLimiter{every: time.Minute}
	t0 := time.Unix(1000, 0)
	ok, n := l.allow("auth a", t0)
	require.True(t, ok)
	require.Zero(t, n)
	for i := range 5 {
		ok, _ = l.allow("auth a", t0.Add(time.Duration(i)*time.Second))
		require.False(t, ok)
	}
	ok, _ = l.allow("auth b", t0)
	require.True(t, ok, "another peer has its own budget")
	ok, n = l.allow("auth a", t0.Add(time.Minute))
	require.True(t, ok)
	require.Equal(t, 5, n, "the records skipped are counted")

	// A flood from many addresses shares one budget beyond maxLimitKeys.
	written := 0
	for i := range 10 * maxLimitKeys {
		if ok, _ := l.allow(fmt.Sprintf("malformed 10.0.%d.%d:1", i/256, i%256), t0); ok {
			written++
		}
	}
	require.LessOrEqual(t, written, maxLimitKeys)
	require.LessOrEqual(t, len(l.keys), maxLimitKeys)
}
