package pncounter

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestKeyAndName(t *testing.T) {
	require.Equal(t, "counter/hits", Key("hits"))
	name, ok := NameOf("counter/hits")
	require.True(t, ok)
	require.Equal(t, "hits", name)
	for _, key := range []string{"counter/", "hits", "role"} {
		_, ok := NameOf(key)
		require.False(t, ok, key)
	}
	require.NoError(t, CheckName("hits"))
	require.ErrorIs(t, CheckName(""), ErrInvalidName)
	require.NoError(t, CheckName(string(make([]byte, MaxNameLength))))
	require.ErrorIs(t, CheckName(string(make([]byte, MaxNameLength+1))), ErrInvalidName)
}

func TestParseAndFormatTotal(t *testing.T) {
	for _, v := range []int64{0, 1, -1, math.MaxInt64, math.MinInt64} {
		got, err := ParseTotal(FormatTotal(v))
		require.NoError(t, err)
		require.Equal(t, v, got)
	}
	for _, s := range []string{"", "1.5", "x", "9223372036854775808", " 1"} {
		_, err := ParseTotal(s)
		require.ErrorIs(t, err, ErrMalformed, s)
	}
}

func TestAddChecksOverflow(t *testing.T) {
	s, err := Add(5, -7)
	require.NoError(t, err)
	require.Equal(t, int64(-2), s)
	_, err = Add(math.MaxInt64, 1)
	require.ErrorIs(t, err, ErrOverflow)
	_, err = Add(math.MinInt64, -1)
	require.ErrorIs(t, err, ErrOverflow)
	s, err = Add(math.MinInt64, math.MaxInt64)
	require.NoError(t, err)
	require.Equal(t, int64(-1), s)
}

func TestAccumulatorIsExactWhateverTheOrder(t *testing.T) {
	// MaxInt64 + MaxInt64 - MaxInt64 overflows an int64 on the way but not
	// at the end.
	var a accumulator
	for _, x := range []int64{math.MaxInt64, math.MaxInt64, -math.MaxInt64, -3} {
		a.add(x)
	}
	v, err := a.value()
	require.NoError(t, err)
	require.Equal(t, int64(math.MaxInt64-3), v)

	var b accumulator
	for _, x := range []int64{math.MinInt64, math.MinInt64, math.MaxInt64, 1, 5} {
		b.add(x)
	}
	v, err = b.value()
	require.NoError(t, err)
	require.Equal(t, int64(math.MinInt64+5), v)

	var c accumulator
	c.add(math.MaxInt64)
	c.add(1)
	_, err = c.value()
	require.ErrorIs(t, err, ErrOverflow)

	var d accumulator
	d.add(math.MinInt64)
	d.add(-1)
	_, err = d.value()
	require.ErrorIs(t, err, ErrOverflow)
}
