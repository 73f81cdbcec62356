package gossip

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSetSameValueIsNoop(t *testing.T) {
	e := newNode(t, testConfig("a"), 1, nil)
	e.set("k", "v", T0, 0)
	v := e.self.maxVersion
	e.set("k", "v", T0, 0)
	require.Equal(t, v, e.self.maxVersion)
	e.set("k", "w", T0, 0)
	require.Equal(t, v+1, e.self.maxVersion)
}
