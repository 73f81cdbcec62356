package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// The client subcommands talk to an agent's HTTP API.

// clientOptions are the flags every client subcommand has.
type clientOptions struct {
	agent   string
	timeout time.Duration
}

func addClientFlags(fs *flag.FlagSet) *clientOptions {
	o := &clientOptions{}
	fs.StringVar(&o.agent, "agent", "127.0.0.1:9112", "the agent's HTTP API: host:port or a URL")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Second, "how long to wait for the agent's answer")
	return o
}

// client is an HTTP client of one agent.
type client struct {
	base    string // "http://host:port", no trailing slash
	http    *http.Client
	timeout time.Duration
}

func newClient(o *clientOptions) (*client, error) {
	base := strings.TrimRight(o.agent, "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("-agent %q: want host:port or an http(s) URL", o.agent)
	}
	return &client{base: base, http: &http.Client{}, timeout: o.timeout}, nil
}

// apiError is a non-2xx answer of the agent.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s (HTTP %d)", e.msg, e.status)
}

// do sends a request and decodes a JSON answer into out (if not nil).
func (c *client) do(ctx context.Context, method, path string, body []byte, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("agent %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("agent %s: reading the answer: %w", c.base, err)
	}
	if resp.StatusCode/100 != 2 {
		var e errorJSON
		if json.Unmarshal(data, &e) != nil || e.Error == "" {
			e.Error = strings.TrimSpace(string(data))
		}
		return &apiError{status: resp.StatusCode, msg: e.Error}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("agent %s: decoding the answer: %w", c.base, err)
		}
	}
	return nil
}

// fail reports err for command name and returns exitFailure.
func fail(c *cli, name string, err error) int {
	fmt.Fprintf(c.stderr, "scuttlebutt %s: %v\n", name, err)
	return exitFailure
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// runMembers is "scuttlebutt members".
func runMembers(ctx context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "members", "[-json]", "Lists the members the agent knows, itself included: ID, status (self, live,\ndead), gossip address, phi, generation and state version. -json prints\nthe API's JSON array.")
	co := addClientFlags(fs)
	asJSON := fs.Bool("json", false, "print a JSON array instead of a table")
	pos, code, ok := parseFlags(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(fs, "unexpected arguments %q", pos)
	}
	cl, err := newClient(co)
	if err != nil {
		return usageError(fs, "%v", err)
	}
	var members []memberJSON
	if err := cl.do(ctx, http.MethodGet, "/v1/members", nil, &members); err != nil {
		return fail(c, "members", err)
	}
	if *asJSON {
		if err := printJSON(c.stdout, members); err != nil {
			return fail(c, "members", err)
		}
		return exitOK
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tADDRESS\tPHI\tGENERATION\tVERSION")
	for _, m := range members {
		status, phi, gen := m.Status, "-", "-"
		if m.Self {
			status = "self"
		}
		if m.Phi != nil {
			phi = strconv.FormatFloat(*m.Phi, 'f', 2, 64)
		}
		if m.Generation != 0 {
			gen = strconv.FormatUint(m.Generation, 10)
		}
		version := strconv.FormatUint(m.Version, 10)
		if m.SeenVersion > m.Version {
			version += " (behind " + strconv.FormatUint(m.SeenVersion, 10) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, status, orDash(m.Address), phi, gen, version)
	}
	if err := tw.Flush(); err != nil {
		return fail(c, "members", err)
	}
	return exitOK
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// runGet is "scuttlebutt get NODE [KEY]".
func runGet(ctx context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "get", "NODE [KEY]", "Prints the keys of node NODE as the agent knows them, one key=value per line\nin key order, or with KEY the value of that key alone. Fails (exit 1) for\na node or key the agent does not know.")
	co := addClientFlags(fs)
	asJSON := fs.Bool("json", false, "print the API's JSON")
	pos, code, ok := parseFlags(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageError(fs, "want NODE [KEY], got %d arguments", len(pos))
	}
	cl, err := newClient(co)
	if err != nil {
		return usageError(fs, "%v", err)
	}
	if len(pos) == 2 {
		var k keyJSON
		if err := cl.do(ctx, http.MethodGet, "/v1/nodes/"+url.PathEscape(pos[0])+"/keys/"+url.PathEscape(pos[1]), nil, &k); err != nil {
			return fail(c, "get", err)
		}
		if *asJSON {
			err = printJSON(c.stdout, k)
		} else {
			_, err = fmt.Fprintln(c.stdout, k.Value)
		}
		if err != nil {
			return fail(c, "get", err)
		}
		return exitOK
	}
	var n nodeJSON
	if err := cl.do(ctx, http.MethodGet, "/v1/nodes/"+url.PathEscape(pos[0]), nil, &n); err != nil {
		return fail(c, "get", err)
	}
	if *asJSON {
		if err := printJSON(c.stdout, n); err != nil {
			return fail(c, "get", err)
		}
		return exitOK
	}
	keys := make([]string, 0, len(n.Keys))
	for k := range n.Keys {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, n.Keys[k])
	}
	if _, err := io.WriteString(c.stdout, b.String()); err != nil {
		return fail(c, "get", err)
	}
	return exitOK
}

// runSet is "scuttlebutt set KEY=VALUE [-ttl D]".
func runSet(ctx context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "set", "KEY=VALUE [-ttl D]", "Sets a key of the agent's own node; every member sees it within a few\ngossip rounds. The value is everything after the first '='. With -ttl the\nnode deletes the key when the TTL has passed. The agent must run with\n-http-write.")
	co := addClientFlags(fs)
	ttl := fs.Duration("ttl", 0, "delete the key after this long (0: never)")
	pos, code, ok := parseFlags(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return usageError(fs, "want one KEY=VALUE, got %d arguments", len(pos))
	}
	key, value, found := strings.Cut(pos[0], "=")
	if !found || key == "" {
		return usageError(fs, "%q: want KEY=VALUE", pos[0])
	}
	if *ttl < 0 {
		return usageError(fs, "-ttl must not be negative, got %v", *ttl)
	}
	cl, err := newClient(co)
	if err != nil {
		return usageError(fs, "%v", err)
	}
	path := "/v1/keys/" + url.PathEscape(key)
	if *ttl > 0 {
		path += "?ttl=" + url.QueryEscape(ttl.String())
	}
	if err := cl.do(ctx, http.MethodPut, path, []byte(value), nil); err != nil {
		return fail(c, "set", err)
	}
	return exitOK
}

// runDelete is "scuttlebutt delete KEY".
func runDelete(ctx context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "delete", "KEY", "Deletes a key of the agent's own node; every member sees the deletion.\nFails (exit 1) if the node has no such key. The agent must run with\n-http-write.")
	co := addClientFlags(fs)
	pos, code, ok := parseFlags(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 || pos[0] == "" {
		return usageError(fs, "want one KEY, got %d arguments", len(pos))
	}
	cl, err := newClient(co)
	if err != nil {
		return usageError(fs, "%v", err)
	}
	if err := cl.do(ctx, http.MethodDelete, "/v1/keys/"+url.PathEscape(pos[0]), nil, nil); err != nil {
		return fail(c, "delete", err)
	}
	return exitOK
}

// watchRetry is how long watch keeps reconnecting after the stream broke.
const watchRetry = 10 * time.Second

// runWatch is "scuttlebutt watch".
func runWatch(ctx context.Context, c *cli, args []string) int {
	fs := newFlagSet(c, "watch", "[-json]", "Prints node events (live, dead, update) and key changes (set, delete) as\nthe agent sees them, until interrupted. If the stream breaks, it\nreconnects and resumes where it stopped, for up to 10 s.")
	co := addClientFlags(fs)
	asJSON := fs.Bool("json", false, "print each event as one line of JSON")
	count := fs.Int("count", 0, "exit after this many events (0: never)")
	replay := fs.Bool("replay", false, "start with the recent events the agent keeps")
	pos, code, ok := parseFlags(c, fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return usageError(fs, "unexpected arguments %q", pos)
	}
	cl, err := newClient(co)
	if err != nil {
		return usageError(fs, "%v", err)
	}
	ctx, stop := signalContext(ctx, c)
	defer stop()

	lastID, seen := "", 0
	if *replay {
		lastID = "0"
	}
	var brokeAt time.Time
	for {
		connected, err := cl.stream(ctx, lastID, func(id string, data []byte) bool {
			lastID = id
			if err := printEvent(c.stdout, data, *asJSON); err != nil {
				return false
			}
			seen++
			return *count == 0 || seen < *count
		})
		switch {
		case ctx.Err() != nil || (*count > 0 && seen >= *count):
			return exitOK
		case connected:
			brokeAt = time.Now()
		case brokeAt.IsZero() || time.Since(brokeAt) > watchRetry:
			return fail(c, "watch", err)
		}
		select {
		case <-ctx.Done():
			return exitOK
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// stream reads the agent's event stream, from after event lastID if it is
// set, and calls fn for each event until fn returns false, ctx ends or the
// stream breaks. connected says whether the stream was opened.
func (c *client) stream(ctx context.Context, lastID string, fn func(id string, data []byte) bool) (connected bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/events", nil)
	if err != nil {
		return false, err
	}
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return false, fmt.Errorf("agent %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, &apiError{status: resp.StatusCode, msg: "event stream refused"}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var id string
	var data []byte
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if data != nil && !fn(id, data) {
				return true, nil
			}
			data = nil
		case strings.HasPrefix(line, "id:"):
			id = strings.TrimSpace(line[3:])
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(line[5:], " ")...)
		}
	}
	if err := sc.Err(); err != nil {
		return true, fmt.Errorf("agent %s: event stream: %w", c.base, err)
	}
	return true, fmt.Errorf("agent %s: event stream ended", c.base)
}

// printEvent writes one event: its JSON, or a line for people.
func printEvent(w io.Writer, data []byte, asJSON bool) error {
	if asJSON {
		_, err := fmt.Fprintf(w, "%s\n", data)
		return err
	}
	var e eventJSON
	if err := json.Unmarshal(data, &e); err != nil {
		_, err := fmt.Fprintf(w, "%s\n", data)
		return err
	}
	ts := e.Time.Local().Format("15:04:05.000")
	var line string
	switch {
	case e.Kind == kindKey && e.Type == "delete":
		line = fmt.Sprintf("%s key  %s %s deleted", ts, e.Node, e.Key)
	case e.Kind == kindKey:
		line = fmt.Sprintf("%s key  %s %s=%s", ts, e.Node, e.Key, e.Value)
	default:
		line = fmt.Sprintf("%s node %s %s %s", ts, e.Node, e.Type, e.Address)
	}
	_, err := fmt.Fprintln(w, strings.TrimRight(line, " "))
	return err
}

// signalContext returns a context that ends with ctx or at SIGINT or
// SIGTERM.
func signalContext(ctx context.Context, c *cli) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	if c.notify == nil {
		return ctx, cancel
	}
	sigs := make(chan os.Signal, 1)
	c.notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		c.stop(sigs)
		cancel()
	}
}
