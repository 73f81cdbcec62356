package sim

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// wellFormed parses svg as XML and returns its text content.
func wellFormed(t *testing.T, svg []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	var text strings.Builder
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if c, ok := tok.(xml.CharData); ok {
			text.Write(c)
			text.WriteByte('\n')
		}
	}
	return text.String()
}

func TestSVGPlotsBothCurvesOrSaysWhy(t *testing.T) {
	r := &Result{Scenario: "loss", Nodes: 3, Seed: 1, IntervalSec: 1, Fanout: 3}
	for _, l := range []float64{0, 0.5} {
		r.Sweep = append(r.Sweep, &Result{Loss: l,
			UpdateNodes: 3, UpdateTimes: []time.Duration{time.Second, 2 * time.Second},
			DetectionPairs: 2, DetectionTimes: []time.Duration{5 * time.Second, 6 * time.Second}})
	}
	var b bytes.Buffer
	require.NoError(t, r.WriteSVG(&b))
	text := wellFormed(t, b.Bytes())
	for _, want := range []string{"Share of nodes holding the update", "CDF of detection times", "seconds since the write",
		"seconds since the failure", "loss 0%", "loss 50%", "loss sweep"} {
		require.Contains(t, text, want)
	}
	require.Equal(t, 4, strings.Count(b.String(), "<polyline"), "two curves a panel")

	b.Reset()
	require.NoError(t, (&Result{Scenario: "steady", Nodes: 3}).WriteSVG(&b))
	text = wellFormed(t, b.Bytes())
	require.Contains(t, text, "no update in scenario steady")
	require.Contains(t, text, "no crash in scenario steady")
	require.NotContains(t, b.String(), "<polyline")
}

func TestNiceStep(t *testing.T) {
	for _, c := range []struct{ span, step float64 }{{8.4, 2}, {1, 0.2}, {15, 5}, {0.03, 0.005}, {120, 20}} {
		require.InDelta(t, c.step, niceStep(c.span), 1e-12, "span %v", c.span)
	}
}
