package prom_test

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLibraryHasNoMetricsDependency proves that importing the library does
// not bring client_golang (nor the dashboard test's chromedp) into a build:
// only this package and the command depend on them.
func TestLibraryHasNoMetricsDependency(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	for _, pkg := range []string{"github.com/scuttlego/scuttlebutt", "github.com/scuttlego/scuttlebutt/internal/..."} {
		out, err := exec.Command(goTool, "list", "-deps", pkg).CombinedOutput()
		require.NoError(t, err, "%s", out)
		deps := strings.Fields(string(out))
		require.NotEmpty(t, deps)
		for _, d := range deps {
			require.NotContains(t, d, "prometheus", "%s depends on %s", pkg, d)
			require.NotContains(t, d, "chromedp", "%s depends on %s", pkg, d)
		}
	}
	// chromedp is for tests only: the command's own build does not have it.
	out, err := exec.Command(goTool, "list", "-deps", "github.com/scuttlego/scuttlebutt/cmd/scuttlebutt").CombinedOutput()
	require.NoError(t, err, "%s", out)
	require.NotContains(t, string(out), "chromedp")
}
