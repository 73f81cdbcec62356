package wire

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHeaderRoundTrip(t *testing.T) {
	for _, h := range []Header{
		{Type: MsgSyn},
		{Type: MsgSynAck, Flags: FlagCompressed, ClusterID: "c"},
		{Type: MsgAck, Flags: FlagCompressed | FlagEncrypted, ClusterID: pool[:128]},
		{Type: MsgWrongCluster, ClusterID: pool[:MaxClusterIDLen]},
		{Type: MsgHeartbeat, ClusterID: "c"},
		{Type: MsgPush, Flags: FlagEncrypted, ClusterID: "c"},
	} {
		b := AppendHeader([]byte{}, &h)
		b = append(b, "body"...)
		got, body, err := ParseHeader(b)
		require.NoError(t, err)
		require.Equal(t, h, got)
		require.Equal(t, "body", string(body))
	}
}

func TestHeaderLayout(t *testing.T) {
	h := Header{Type: MsgAck, Flags: FlagEncrypted, ClusterID: "ab"}
	require.Equal(t, []byte{0xB5, 2, 3, 2, 2, 'a', 'b'}, AppendHeader(nil, &h))
}

func TestAppendHeaderRejectsLongClusterID(t *testing.T) {
	h := Header{Type: MsgSyn, ClusterID: pool[:MaxClusterIDLen+1]}
	require.Panics(t, func() { AppendHeader(nil, &h) })
}

func TestParseHeaderErrors(t *testing.T) {
	valid := []byte{Magic, Version, byte(MsgSyn), 0, 3, 'a', 'b', 'c'}
	with := func(i int, c byte) []byte {
		b := append([]byte(nil), valid...)
		b[i] = c
		return b
	}
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"nil", nil, ErrTruncated},
		{"empty", []byte{}, ErrTruncated},
		{"four bytes", valid[:4], ErrTruncated},
		{"short cluster ID", valid[:7], ErrTruncated},
		{"cluster ID length past end", with(4, 255), ErrTruncated},
		{"bad magic", with(0, 0xB4), ErrBadMagic},
		{"old version", with(1, 1), ErrBadVersion},
		{"next version", with(1, 3), ErrBadVersion},
		{"version zero", with(1, 0), ErrBadVersion},
		{"type zero", with(2, 0), ErrUnknownType},
		{"type ten", with(2, 10), ErrUnknownType},
		{"type 255", with(2, 255), ErrUnknownType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ParseHeader(c.in)
			require.ErrorIs(t, err, c.want)
			require.ErrorIs(t, err, ErrMalformed)
		})
	}
}

func TestSentinelsWrapErrMalformed(t *testing.T) {
	for _, err := range []error{ErrBadMagic, ErrBadVersion, ErrUnknownType, ErrTruncated} {
		require.True(t, errors.Is(err, ErrMalformed), "%v", err)
		require.NotEqual(t, ErrMalformed, err)
	}
}
