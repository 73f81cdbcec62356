package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/scuttlego/scuttlebutt"
)

func TestAgentFlagsFromEnvironment(t *testing.T) {
	env := map[string]string{
		"SCUTTLEBUTT_ID":               "env-node",
		"SCUTTLEBUTT_JOIN":             "seed-1:9111, seed-2:9111",
		"SCUTTLEBUTT_SET":              "role=web,zone=eu",
		"SCUTTLEBUTT_INTERVAL":         "250ms",
		"SCUTTLEBUTT_HTTP_WRITE":       "true",
		"SCUTTLEBUTT_PHI_THRESHOLD":    "12",
		"SCUTTLEBUTT_ACCEPTABLE_PAUSE": "7s",
		"SCUTTLEBUTT_LISTEN":           "127.0.0.1:7000",
		"SCUTTLEBUTT_LOG":              "debug",
	}
	c, _, errb := testCLI(env, "")
	o, _, ok := parseAgentFlags(c, []string{"-listen", "127.0.0.1:7001", "-set", "extra=a,b"})
	require.True(t, ok, errb.String())
	require.Equal(t, "env-node", o.id)
	require.Equal(t, []string{"seed-1:9111", "seed-2:9111"}, []string(o.join))
	// The command line's -set wins over the environment's pairs, and a
	// value given by the flag may hold commas.
	require.Equal(t, map[string]string{"extra": "a,b"}, o.set.Map())
	require.Equal(t, 250*time.Millisecond, o.interval)
	require.True(t, o.httpWrite)
	require.Equal(t, 12.0, o.fd.PhiThreshold)
	require.Equal(t, 7*time.Second, o.fd.AcceptableHeartbeatPause)
	require.Equal(t, "127.0.0.1:7001", o.listen, "the command line wins")
	require.Equal(t, "debug", o.logLevel)

	c, _, errb = testCLI(map[string]string{"SCUTTLEBUTT_SET": "role=web,zone=eu"}, "")
	o, _, ok = parseAgentFlags(c, nil)
	require.True(t, ok, errb.String())
	require.Equal(t, map[string]string{"role": "web", "zone": "eu"}, o.set.Map())
	require.Equal(t, "0.0.0.0:9111", o.listen)
	require.Equal(t, "127.0.0.1:9112", o.httpAddr, "the API defaults to loopback")
	require.False(t, o.httpWrite, "writes are off by default")

	c, _, errb = testCLI(map[string]string{"SCUTTLEBUTT_INTERVAL": "fast"}, "")
	_, code, ok := parseAgentFlags(c, nil)
	require.False(t, ok)
	require.Equal(t, exitUsage, code)
	require.Contains(t, errb.String(), "$SCUTTLEBUTT_INTERVAL")
}

func TestAgentConfig(t *testing.T) {
	c, _, _ := testCLI(nil, "")
	o, _, ok := parseAgentFlags(c, []string{"-id", "x", "-cluster", "prod", "-advertise", "10.0.0.5:9111",
		"-gossip-nodes", "5", "-max-packet-size", "8000", "-compress=false", "-min-std-dev", "300ms",
		"-dead-node-grace", "10m", "-tombstone-grace", "2h", "-sampling-window", "50", "-first-heartbeat", "2s"})
	require.True(t, ok)
	cfg, err := o.config(nil, nil)
	require.NoError(t, err)
	require.Equal(t, "prod", cfg.ClusterID)
	require.Equal(t, scuttlebutt.Node{ID: "x", GossipPublicAddress: "10.0.0.5:9111"}, cfg.Node)
	require.Equal(t, 5, cfg.GossipNodes)
	require.Equal(t, 8000, cfg.MaxPacketSize)
	require.False(t, cfg.EnableCompression)
	require.Equal(t, 2*time.Hour, cfg.TombstoneGracePeriod)
	require.Equal(t, scuttlebutt.FailureDetectorConfig{
		PhiThreshold: 8, SamplingWindowSize: 50, MinStdDeviation: 300 * time.Millisecond,
		AcceptableHeartbeatPause: 3 * time.Second, FirstHeartbeatEstimate: 2 * time.Second, DeadNodeGracePeriod: 10 * time.Minute,
	}, *cfg.FailureDetectorConfig)
	require.Nil(t, cfg.Keyring)
}

func TestAgentStartErrors(t *testing.T) {
	code, _, errOut := runCLI(t, nil, "", "agent", "-id", "x", "-listen", "127.0.0.1:0", "-http", "", "-max-packet-size", "10")
	require.Equal(t, exitUsage, code, "an invalid configuration is a usage error")
	require.Contains(t, errOut, "MaxPacketSize")

	busy := startTestAgent(t, "-id", "busy")
	code, _, errOut = runCLI(t, nil, "", "agent", "-id", "x", "-listen", "127.0.0.1:0", "-http", busy.httpAddr())
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "http")

	code, _, errOut = runCLI(t, nil, "", "agent", "-id", "x", "-listen", "127.0.0.1:0", "-http", "", "-key-file", filepath.Join(t.TempDir(), "none"))
	require.Equal(t, exitFailure, code)
	require.Contains(t, errOut, "key file")
}

// signalCLI returns a cli whose signals the test sends on the returned
// function.
func signalCLI(t *testing.T) (*cli, *syncBuffer, func(os.Signal)) {
	t.Helper()
	c, _, errb := testCLI(nil, "")
	registered := make(chan chan<- os.Signal, 1)
	c.notify = func(ch chan<- os.Signal, _ ...os.Signal) { registered <- ch }
	c.stop = func(chan<- os.Signal) {}
	var ch chan<- os.Signal
	return c, errb, func(s os.Signal) {
		if ch == nil {
			select {
			case ch = <-registered:
			case <-time.After(10 * time.Second):
				t.Fatal("the agent did not ask for signals")
			}
		}
		ch <- s
	}
}

// runAgentAsync runs "scuttlebutt agent args" and returns its exit code on
// the channel.
func runAgentAsync(c *cli, args ...string) <-chan int {
	done := make(chan int, 1)
	go func() { done <- run(context.Background(), c, append([]string{"agent"}, args...)) }()
	return done
}

func TestAgentLeavesOnSignal(t *testing.T) {
	peer := startTestAgent(t, "-id", "peer")
	c, errb, signal := signalCLI(t)
	done := runAgentAsync(c, append(append([]string{}, fastFlags...), "-id", "x", "-join", peer.gossipAddr())...)
	require.Eventually(t, func() bool { return len(peer.sb.LiveNodes()) == 1 }, 10*time.Second, 10*time.Millisecond)

	signal(syscall.SIGHUP) // no key file: logged, the agent goes on
	signal(syscall.SIGTERM)
	select {
	case code := <-done:
		require.Equal(t, exitOK, code, errb.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("the agent did not stop: %s", errb)
	}
	// A graceful leave: the peer reports it dead at once, not after the
	// failure detector's timeout.
	require.Len(t, peer.sb.DeadNodes(), 1)
	require.Contains(t, errb.String(), "left the cluster")
	require.Contains(t, errb.String(), "keys not reloaded")
}

func TestAgentSecondSignalExitsAtOnce(t *testing.T) {
	peer := startTestAgent(t, "-id", "peer")
	c, errb, signal := signalCLI(t)
	done := runAgentAsync(c, append(append([]string{}, fastFlags...), "-id", "x", "-join", peer.gossipAddr(),
		"-leave-timeout", "1m", "-acceptable-pause", "1m")...)
	require.Eventually(t, func() bool { return len(peer.sb.LiveNodes()) == 1 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, peer.close()) // nobody will acknowledge the departure

	signal(os.Interrupt)
	require.Eventually(t, func() bool { return strings.Contains(errb.String(), "a second signal exits at once") }, 10*time.Second, 5*time.Millisecond)
	select {
	case code := <-done:
		t.Fatalf("the agent stopped without its peer acknowledging: exit %d", code)
	case <-time.After(200 * time.Millisecond):
	}
	signal(os.Interrupt)
	select {
	case code := <-done:
		require.Equal(t, exitFailure, code)
	case <-time.After(5 * time.Second):
		t.Fatalf("the second signal did not end the agent: %s", errb)
	}
}

func TestAgentJSONLogs(t *testing.T) {
	c, errb, signal := signalCLI(t)
	done := runAgentAsync(c, "-id", "j", "-listen", "127.0.0.1:0", "-http", "", "-log-format", "json", "-interval", "100ms")
	signal(syscall.SIGTERM)
	require.Equal(t, exitOK, <-done)
	line, _, _ := strings.Cut(errb.String(), "\n")
	require.Regexp(t, `^\{"time":".*","level":"INFO","msg":"agent started".*"id":"j"`, line)
}
