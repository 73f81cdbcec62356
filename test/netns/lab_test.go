package netns

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// nsPrefix starts the name of every namespace the tests create; the rest
// is the test process's ID, so that leftovers of a crashed run can be told
// from a running one.
const nsPrefix = "sbnt"

// subnet is the bridge's network; host i has subnet.i, the bridge .254.
const subnet = "10.201.0."

// Agent ports inside each host.
const (
	gossipPort = 9111
	httpPort   = 9112
)

// lab is a set of hosts on one bridge.
type lab struct {
	t      *testing.T
	name   string // namespace prefix of this run
	bridge string // namespace holding the bridge
	hosts  []*host
	egress bool // the netdev egress hook works
	bin    string
	client *http.Client
}

// host is one namespace with an agent.
type host struct {
	lab  *lab
	i    int // 1-based
	id   string
	ns   string
	ip   string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{} // closed when the agent exited
}

// requireLab skips the test unless it can build namespaces.
func requireLab(t *testing.T) {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("netns tests need Linux: skipping")
	}
	if os.Geteuid() != 0 {
		t.Skip("netns tests need root (network namespaces): skipping")
	}
	for _, tool := range []string{"ip", "nft"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("netns tests need %s (apt-get install iproute2 nftables): skipping", tool)
		}
	}
}

// run runs a command and fails the test on error.
func run(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := runErr(stdin, args...)
	require.NoError(t, err, "%s: %s", strings.Join(args, " "), out)
	return out
}

func runErr(stdin string, args ...string) (string, error) {
	cmd := exec.Command(args[0], args[1:]...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// removeLeftovers deletes the namespaces of earlier runs whose process is
// gone, ending the agents still running in them.
func removeLeftovers(t *testing.T) {
	t.Helper()
	out, err := runErr("", "ip", "netns", "list")
	if err != nil {
		return
	}
	for _, line := range strings.Split(out, "\n") {
		name, _, _ := strings.Cut(strings.TrimSpace(line), " ")
		if !strings.HasPrefix(name, nsPrefix) {
			continue
		}
		digits, _, _ := strings.Cut(strings.TrimPrefix(name, nsPrefix), "-")
		pid, err := strconv.Atoi(digits)
		if err != nil || pid == os.Getpid() || syscall.Kill(pid, 0) == nil {
			continue // not ours, or its run is still going
		}
		killNamespace(name)
		t.Logf("removed namespace %s left by an earlier run", name)
	}
}

// killNamespace ends the processes in a namespace and deletes it.
func killNamespace(name string) {
	if out, err := runErr("", "ip", "netns", "pids", name); err == nil {
		for _, f := range strings.Fields(out) {
			if pid, err := strconv.Atoi(f); err == nil {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
	_, _ = runErr("", "ip", "netns", "del", name)
}

// newLab creates n hosts on a bridge, builds the agent and reaches the
// hosts through a socket in the bridge's namespace. Everything is removed
// when the test ends, whatever its outcome.
func newLab(t *testing.T, n int) *lab {
	t.Helper()
	requireLab(t)
	removeLeftovers(t)
	l := &lab{t: t, name: fmt.Sprintf("%s%d", nsPrefix, os.Getpid())}
	l.bridge = l.name + "-br"
	t.Cleanup(l.teardown)

	run(t, "", "ip", "netns", "add", l.bridge)
	run(t, "", "ip", "-n", l.bridge, "link", "set", "lo", "up")
	run(t, "", "ip", "-n", l.bridge, "link", "add", "sb0", "type", "bridge")
	run(t, "", "ip", "-n", l.bridge, "addr", "add", subnet+"254/24", "dev", "sb0")
	run(t, "", "ip", "-n", l.bridge, "link", "set", "sb0", "up")
	for i := 1; i <= n; i++ {
		h := &host{lab: l, i: i, id: fmt.Sprintf("h%d", i), ns: fmt.Sprintf("%s-h%d", l.name, i), ip: fmt.Sprintf("%s%d", subnet, i)}
		run(t, "", "ip", "netns", "add", h.ns)
		veth := fmt.Sprintf("veth%d", i)
		run(t, "", "ip", "-n", l.bridge, "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", h.ns)
		run(t, "", "ip", "-n", l.bridge, "link", "set", veth, "master", "sb0", "up")
		run(t, "", "ip", "-n", h.ns, "addr", "add", h.ip+"/24", "dev", "eth0")
		run(t, "", "ip", "-n", h.ns, "link", "set", "eth0", "up")
		run(t, "", "ip", "-n", h.ns, "link", "set", "lo", "up")
		l.hosts = append(l.hosts, h)
	}

	// Does this kernel and nft have the netdev egress hook?
	_, err := runErr(faultTable(nil, []string{"ip protocol udp ip daddr 10.201.0.255 drop"}), "ip", "netns", "exec", l.hosts[0].ns, "nft", "-f", "-")
	l.egress = err == nil
	if !l.egress {
		t.Logf("nft: no netdev egress hook here (%v): faults are made on the receivers' ingress hooks", err)
	}
	l.clearFaults()

	l.bin = filepath.Join(t.TempDir(), "scuttlebutt")
	goTool, err := exec.LookPath("go")
	require.NoError(t, err, "building the agent needs the go command")
	run(t, "", goTool, "build", "-o", l.bin, "github.com/scuttlego/scuttlebutt/cmd/scuttlebutt")

	l.client = &http.Client{Transport: &http.Transport{DialContext: dialIn("/var/run/netns/" + l.bridge)}, Timeout: 5 * time.Second}
	return l
}

// teardown ends the agents and deletes the namespaces.
func (l *lab) teardown() {
	for _, h := range l.hosts {
		h.kill()
		if h.log != nil && l.t.Failed() {
			_ = h.log.Sync()
			if b, err := os.ReadFile(h.log.Name()); err == nil {
				l.t.Logf("log of agent %s:\n%s", h.id, tail(b, 40))
			}
		}
	}
	for _, h := range l.hosts {
		killNamespace(h.ns)
	}
	killNamespace(l.bridge)
}

// tail returns the last n lines of b.
func tail(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// dialIn returns a dial function whose sockets are created in the network
// namespace at path (a socket stays in the namespace it was created in).
func dialIn(path string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		type result struct {
			c   net.Conn
			err error
		}
		ch := make(chan result, 1)
		go func() {
			// The thread switches namespace; it is given back to the
			// runtime only if it could switch back, else it ends with
			// this goroutine.
			runtime.LockOSThread()
			c, err, restored := dialInThread(ctx, path, network, addr)
			if restored {
				runtime.UnlockOSThread()
			}
			ch <- result{c, err}
		}()
		r := <-ch
		return r.c, r.err
	}
}

func dialInThread(ctx context.Context, path, network, addr string) (net.Conn, error, bool) {
	self, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, err, true
	}
	defer self.Close()
	target, err := os.Open(path)
	if err != nil {
		return nil, err, true
	}
	defer target.Close()
	if err := setns(target); err != nil {
		return nil, err, true
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	return c, err, setns(self) == nil
}

func setns(f *os.File) error {
	if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("setns: %w", err)
	}
	return nil
}

// start starts h's agent with extra flags, joining hosts 1 and 2.
func (h *host) start(extra ...string) {
	t := h.lab.t
	t.Helper()
	var err error
	h.log, err = os.Create(filepath.Join(t.TempDir(), h.id+".log"))
	require.NoError(t, err)
	args := append([]string{"netns", "exec", h.ns, h.lab.bin, "agent",
		"-id", h.id,
		"-listen", fmt.Sprintf("%s:%d", h.ip, gossipPort),
		"-http", fmt.Sprintf("%s:%d", h.ip, httpPort), "-http-write",
		"-join", fmt.Sprintf("%s1:%d,%s2:%d", subnet, gossipPort, subnet, gossipPort),
	}, extra...)
	h.cmd = exec.Command("ip", args...) // ip netns exec execs the agent: same PID
	h.cmd.Stdout, h.cmd.Stderr = h.log, h.log
	require.NoError(t, h.cmd.Start())
	h.done = make(chan struct{})
	go func() { _ = h.cmd.Wait(); close(h.done) }()
}

// kill ends h's agent with SIGKILL and waits for it.
func (h *host) kill() {
	if h.cmd == nil || h.cmd.Process == nil {
		return
	}
	_ = h.cmd.Process.Kill()
	<-h.done
}

// url is h's HTTP API with path.
func (h *host) url(path string) string { return fmt.Sprintf("http://%s:%d%s", h.ip, httpPort, path) }

// member is the part of /v1/members the tests read.
type member struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	Self       bool   `json:"self"`
	Generation uint64 `json:"generation"`
}

// members returns h's view, by ID, or nil if its API did not answer.
func (h *host) members() map[string]member {
	var ms []member
	if h.get("/v1/members", &ms) != nil {
		return nil
	}
	out := map[string]member{}
	for _, m := range ms {
		out[m.ID] = m
	}
	return out
}

// get fetches path from h's API into out.
func (h *host) get(path string, out any) error {
	resp, err := h.lab.client.Get(h.url(path))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, b)
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// put sets a key of h's node.
func (h *host) put(key, value string) {
	t := h.lab.t
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, h.url("/v1/keys/"+key), strings.NewReader(value))
	require.NoError(t, err)
	resp, err := h.lab.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
}

// event is one node event of an agent's /v1/events.
type event struct {
	Kind string    `json:"kind"`
	Type string    `json:"type"`
	Node string    `json:"node"`
	Time time.Time `json:"time"`
	At   time.Time `json:"-"` // when the test received it
}

// watcher records the node events of one agent.
type watcher struct {
	mu     sync.Mutex
	events []event
}

// watch follows h's event stream until the test ends.
func (h *host) watch() *watcher {
	t := h.lab.t
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, h.url("/v1/events"), nil)
	require.NoError(t, err)
	stream := &http.Client{Transport: h.lab.client.Transport} // no timeout: a stream
	resp, err := stream.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	w := &watcher{}
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); resp.Body.Close(); <-done })
	go func() {
		defer close(done)
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: "))
			if !ok {
				continue
			}
			var e event
			if json.Unmarshal(data, &e) == nil && e.Kind == "node" {
				e.At = time.Now()
				w.mu.Lock()
				w.events = append(w.events, e)
				w.mu.Unlock()
			}
		}
	}()
	return w
}

// deaths returns the "dead" events about node id received since t0.
func (w *watcher) deaths(id string, t0 time.Time) []event {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []event
	for _, e := range w.events {
		if e.Type == "dead" && e.Node == id && !e.At.Before(t0) {
			out = append(out, e)
		}
	}
	return out
}

// faults are the drop rules of every host, applied together.
type faults struct {
	l               *lab
	ingress, egress map[int][]string
}

func (l *lab) newFaults() *faults {
	return &faults{l: l, ingress: map[int][]string{}, egress: map[int][]string{}}
}

// loss drops pct% of h's gossip datagrams, in and out.
func (f *faults) loss(h *host, pct int) *faults {
	rule := fmt.Sprintf("ip protocol udp numgen random mod 100 < %d drop", pct)
	f.ingress[h.i] = append(f.ingress[h.i], rule)
	if f.l.egress {
		f.egress[h.i] = append(f.egress[h.i], rule)
		return f
	}
	for _, o := range f.l.hosts {
		if o != h {
			f.ingress[o.i] = append(f.ingress[o.i], fmt.Sprintf("ip saddr %s ip protocol udp numgen random mod 100 < %d drop", h.ip, pct))
		}
	}
	return f
}

// cut drops every gossip datagram from one host to another.
func (f *faults) cut(from, to *host) *faults {
	if f.l.egress {
		f.egress[from.i] = append(f.egress[from.i], fmt.Sprintf("ip daddr %s ip protocol udp drop", to.ip))
	} else {
		f.ingress[to.i] = append(f.ingress[to.i], fmt.Sprintf("ip saddr %s ip protocol udp drop", from.ip))
	}
	return f
}

// partition cuts every link between the two groups, both ways.
func (f *faults) partition(a, b []*host) *faults {
	for _, x := range a {
		for _, y := range b {
			f.cut(x, y).cut(y, x)
		}
	}
	return f
}

// apply installs the rules, replacing any earlier ones.
func (f *faults) apply() {
	t := f.l.t
	t.Helper()
	for _, h := range f.l.hosts {
		run(t, faultTable(f.ingress[h.i], f.egress[h.i]), "ip", "netns", "exec", h.ns, "nft", "-f", "-")
	}
}

// clearFaults removes every rule.
func (l *lab) clearFaults() { l.newFaults().apply() }

// faultTable is the nft script that makes a host's fault rules the only
// ones in its namespace.
func faultTable(ingress, egress []string) string {
	var b strings.Builder
	b.WriteString("flush ruleset\n")
	if len(ingress)+len(egress) == 0 {
		return b.String()
	}
	b.WriteString("table netdev fault {\n")
	if len(ingress) > 0 {
		b.WriteString("  chain in {\n    type filter hook ingress device \"eth0\" priority 0; policy accept;\n")
		for _, r := range ingress {
			b.WriteString("    " + r + "\n")
		}
		b.WriteString("  }\n")
	}
	if len(egress) > 0 {
		b.WriteString("  chain out {\n    type filter hook egress device \"eth0\" priority 0; policy accept;\n")
		for _, r := range egress {
			b.WriteString("    " + r + "\n")
		}
		b.WriteString("  }\n")
	}
	b.WriteString("}\n")
	return b.String()
}
