// Package system is the load generator's view of the system under test: it
// starts a local one (coordinators and an edge as child processes of the
// real binaries) or talks to a running one, creates and starts the hunt
// the players play, mints their tokens, and kills the coordinator leader
// for the failover scenario.
package system

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/veltrix/veltrix/coordinator/wire"
	"github.com/veltrix/veltrix/protocol/token"
)

// System is the system under test.
type System struct {
	Edge    string // edge base URL (the first edge's, with several)
	EdgePID int    // 0 when the edge is not ours
	// Edges are the base URLs of every edge of the region this tool
	// started (Edges[0] is Edge), EdgePIDs their processes.
	Edges       []string
	EdgePIDs    []int
	Coordinator string // a coordinator API base URL
	AdminToken  string
	Key         ed25519.PrivateKey // token signing key when the system is ours

	dir   string
	procs []*proc
	http  *http.Client
}

type proc struct {
	name string
	api  string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Attach uses a running system.
func Attach(edge, coordinator, adminToken string) *System {
	return &System{Edge: strings.TrimRight(edge, "/"), Coordinator: strings.TrimRight(coordinator, "/"),
		AdminToken: adminToken, http: &http.Client{Timeout: 30 * time.Second}}
}

// LocalOptions configure Start.
type LocalOptions struct {
	BinDir     string
	Voters     int      // coordinators: 1 or 3
	EdgeArgs   []string // extra edge flags
	EdgeListen string   // default 127.0.0.1:<free port>
	// Edges of one region (default 1): each embeds NATS, routed to the
	// first edge's, so that they share cells.
	Edges       int
	Stderr      io.Writer
	ReadyWithin time.Duration // default 30s
}

// benchEdgeID is the id of the local system's edge.
const benchEdgeID = "bench-edge"

// Start starts a local system in a temporary directory: Voters
// coordinators sharing one signing key, and one edge.
func Start(o LocalOptions) (*System, error) {
	edgeBin, coordBin := filepath.Join(o.BinDir, "veltrix-edge"), filepath.Join(o.BinDir, "veltrix-coordinator")
	for _, b := range []string{edgeBin, coordBin} {
		if _, err := os.Stat(b); err != nil {
			return nil, fmt.Errorf("cannot find %s (run make build, or pass -bin-dir): %w", b, err)
		}
	}
	o.withDefaults()
	dir, err := os.MkdirTemp("", "veltrix-bench-")
	if err != nil {
		return nil, err
	}
	s := &System{dir: dir, AdminToken: "bench-admin-token", http: &http.Client{Timeout: 30 * time.Second}}
	keyPath, credPath, edgeTokens, err := s.writeSecrets(o.Edges)
	if err != nil {
		return nil, err
	}
	edgeToken := edgeTokens[0]
	ports, err := freePorts(2*o.Voters + 2*o.Edges)
	if err != nil {
		return nil, err
	}
	var peers, urls []string
	for i := range o.Voters {
		peers = append(peers, fmt.Sprintf("c%d=127.0.0.1:%d", i+1, ports[2*i]))
		urls = append(urls, fmt.Sprintf("http://127.0.0.1:%d", ports[2*i+1]))
	}
	coordEnv, err := coordinatorEnv(coordBin, credPath, edgeToken)
	if err != nil {
		return nil, err
	}
	for i := range o.Voters {
		args := []string{"-id", fmt.Sprintf("c%d", i+1), "-bootstrap", "-peers", strings.Join(peers, ","),
			"-raft-addr", fmt.Sprintf("127.0.0.1:%d", ports[2*i]), "-api-addr", strings.TrimPrefix(urls[i], "http://"),
			"-data-dir", filepath.Join(dir, fmt.Sprintf("c%d", i+1)), "-admin-token", s.AdminToken,
			"-signing-key", keyPath, "-log-level", "warn"}
		s.start(fmt.Sprintf("c%d", i+1), urls[i], coordBin, args, coordEnv, o.Stderr)
	}
	s.Coordinator = urls[0]
	ctx, cancel := context.WithTimeout(context.Background(), o.ReadyWithin)
	defer cancel()
	if err := s.waitLeader(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.startEdges(ctx, o, edgeBin, urls, edgeTokens, ports[2*o.Voters:]); err != nil {
		s.Close()
		return nil, err
	}
	s.Edge, s.EdgePID = s.Edges[0], s.EdgePIDs[0]
	return s, nil
}

// startEdges starts o.Edges edges on ports (two each: HTTP, NATS routes)
// and waits until each is ready. A lone edge gets no NATS flags (an older
// build has none); several are routed to the first one's NATS server.
func (s *System) startEdges(ctx context.Context, o LocalOptions, edgeBin string, coords, tokens []string, ports []int) error {
	for i := range o.Edges {
		listen := fmt.Sprintf("127.0.0.1:%d", ports[2*i])
		if i == 0 && o.EdgeListen != "" {
			listen = o.EdgeListen
		}
		args := []string{"-listen", listen, "-coordinators", strings.Join(coords, ","), "-edge-token", tokens[i],
			"-id", edgeID(i), "-log-level", "warn"}
		if o.Edges > 1 {
			args = append(args, "-nats-cluster", fmt.Sprintf("127.0.0.1:%d", ports[2*i+1]), "-nats-routes", fmt.Sprintf("127.0.0.1:%d", ports[1]))
		}
		p := s.start(edgeID(i), "http://"+listen, edgeBin, append(args, o.EdgeArgs...), nil, o.Stderr)
		if err := s.waitReady(ctx, p); err != nil {
			return err
		}
		s.Edges, s.EdgePIDs = append(s.Edges, "http://"+listen), append(s.EdgePIDs, p.cmd.Process.Pid)
	}
	return nil
}

// edgeID is the id of the local system's i-th edge.
func edgeID(i int) string {
	if i == 0 {
		return benchEdgeID
	}
	return fmt.Sprintf("%s-%d", benchEdgeID, i+1)
}

func (o *LocalOptions) withDefaults() {
	if o.Voters == 0 {
		o.Voters = 1
	}
	if o.Edges == 0 {
		o.Edges = 1
	}
	if o.ReadyWithin == 0 {
		o.ReadyWithin = 30 * time.Second
	}
	if o.Stderr == nil {
		o.Stderr = io.Discard
	}
}

// writeSecrets writes into the system's directory the key that signs player
// tokens (s.Key) and the coordinators' credentials file, which binds a
// fresh token to each of the n edges' ids (never the admin token).
func (s *System) writeSecrets(n int) (keyPath, credPath string, edgeTokens []string, err error) {
	_, key, err := token.GenerateKey()
	if err != nil {
		return "", "", nil, err
	}
	s.Key = key
	pem, err := token.EncodePrivateKey(key)
	if err != nil {
		return "", "", nil, err
	}
	keyPath = filepath.Join(s.dir, "token.key")
	if err := os.WriteFile(keyPath, pem, 0o600); err != nil {
		return "", "", nil, err
	}
	var creds strings.Builder
	for i := range n {
		edgeTokens = append(edgeTokens, rand.Text())
		fmt.Fprintf(&creds, "%s %s\n", edgeID(i), wire.HashToken(edgeTokens[i]))
	}
	credPath = filepath.Join(s.dir, "edge-credentials")
	if err := os.WriteFile(credPath, []byte(creds.String()), 0o600); err != nil {
		return "", "", nil, err
	}
	return keyPath, credPath, edgeTokens, nil
}

// coordinatorEnv is the environment the local coordinators add to ours.
// Settings an older build may not know go here rather than on the command
// line: a binary ignores a VELTRIX_* variable it has no flag for, but
// refuses an unknown flag, so one compare can start an old build and a new
// one alike.
//
//   - VELTRIX_INSECURE_RAFT: the coordinators run raft over plain TCP on
//     loopback (a build before raft TLS had no other way).
//   - VELTRIX_EDGE_CREDENTIALS: the edge's token, bound to its id.
//   - VELTRIX_EDGE_TOKEN, only for a build before -edge-credentials: that
//     build accepted one shared edge token (by default the admin token), so
//     it is given the edge's token as that. A build with per-edge
//     credentials gets no shared token.
func coordinatorEnv(coordBin, credPath, edgeToken string) ([]string, error) {
	usage, err := exec.Command(coordBin, "-h").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s -h: %w: %s", coordBin, err, usage)
	}
	return coordinatorEnvFor(flagNames(string(usage)), credPath, edgeToken), nil
}

// coordinatorEnvFor is coordinatorEnv for a coordinator with the given flags.
func coordinatorEnvFor(flags map[string]bool, credPath, edgeToken string) []string {
	env := []string{"VELTRIX_INSECURE_RAFT=true", "VELTRIX_EDGE_CREDENTIALS=" + credPath}
	if !flags["edge-credentials"] {
		env = append(env, "VELTRIX_EDGE_TOKEN="+edgeToken)
	}
	return env
}

// flagNames are the flags a command's -h usage (the flag package's
// PrintDefaults: each flag on a line "  -name …") lists.
func flagNames(usage string) map[string]bool {
	out := map[string]bool{}
	for line := range strings.Lines(usage) {
		rest, ok := strings.CutPrefix(line, "  -")
		if !ok {
			continue
		}
		if name := strings.Fields(rest); len(name) > 0 {
			out[name[0]] = true
		}
	}
	return out
}

// start starts bin with args, and env added to our environment.
func (s *System) start(name, apiURL, bin string, args, env []string, stderr io.Writer) *proc {
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	cmd.Env = append(os.Environ(), env...)
	p := &proc{name: name, api: apiURL, cmd: cmd, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		p.err = err
		close(p.done)
	} else {
		go func() { p.err = cmd.Wait(); close(p.done) }()
	}
	s.procs = append(s.procs, p)
	return p
}

// freePorts finds n free loopback TCP ports (also free for UDP is likely,
// and the edge reports it when not).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var out []int
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// poll calls f every 50 ms until it succeeds, p exits, or ctx ends.
func poll(ctx context.Context, p *proc, what string, f func() error) error {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		err := f()
		if err == nil {
			return nil
		}
		var exited <-chan struct{}
		if p != nil {
			exited = p.done
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last: %v)", what, ctx.Err(), err)
		case <-exited:
			return fmt.Errorf("%s: %s exited: %v", what, p.name, p.err)
		case <-t.C:
		}
	}
}

func (s *System) waitReady(ctx context.Context, p *proc) error {
	return poll(ctx, p, "waiting for "+p.name+" /readyz", func() error {
		resp, err := s.http.Get(p.api + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return errors.New(resp.Status)
		}
		return nil
	})
}

func (s *System) waitLeader(ctx context.Context) error {
	return poll(ctx, nil, "waiting for a coordinator leader", func() error {
		_, err := s.Leader()
		return err
	})
}

// Leader returns the API URL of the coordinator leader, asking each node.
func (s *System) Leader() (string, error) {
	var last error = errors.New("no coordinator")
	for _, p := range s.coordinators() {
		var st struct {
			State     string `json:"state"`
			LeaderAPI string `json:"leader_api"`
		}
		if err := s.call(p.api, "GET", "/v1/cluster", nil, &st); err != nil {
			last = err
			continue
		}
		if st.State == "Leader" {
			return p.api, nil
		}
		last = fmt.Errorf("%s is %s", p.name, st.State)
	}
	if len(s.procs) == 0 { // not ours: ask the one we know
		var st struct {
			LeaderAPI string `json:"leader_api"`
		}
		if err := s.call(s.Coordinator, "GET", "/v1/cluster", nil, &st); err != nil {
			return "", err
		}
		if st.LeaderAPI == "" {
			return "", errors.New("no leader")
		}
		return "http://" + strings.TrimPrefix(st.LeaderAPI, "http://"), nil
	}
	return "", last
}

func (s *System) coordinators() []*proc {
	var out []*proc
	for _, p := range s.procs {
		if p.name != "edge" && p.cmd.ProcessState == nil {
			select {
			case <-p.done:
			default:
				out = append(out, p)
			}
		}
	}
	return out
}

// KillLeader SIGKILLs the coordinator leader and returns its name.
func (s *System) KillLeader() (string, error) {
	leader, err := s.Leader()
	if err != nil {
		return "", err
	}
	for _, p := range s.coordinators() {
		if p.api == leader {
			if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				return "", err
			}
			<-p.done
			s.Coordinator = ""
			for _, q := range s.coordinators() {
				s.Coordinator = q.api
				break
			}
			return p.name, nil
		}
	}
	return "", fmt.Errorf("the leader %s is not a process of ours", leader)
}

// Close stops what Start started (edge first) and removes its directory.
func (s *System) Close() {
	for i := len(s.procs) - 1; i >= 0; i-- {
		p := s.procs[i]
		select {
		case <-p.done:
			continue
		default:
		}
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	}
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// HuntOptions describe the hunt to create.
type HuntOptions struct {
	Center     [2]float64 // lat, lng
	SizeKm     float64
	Resolution int
	Treasures  int
	Respawn    bool
}

// CreateHunt creates and starts a hunt over a square city.
func (s *System) CreateHunt(o HuntOptions) (uint32, error) {
	dLat := o.SizeKm / 2 / 111.32
	dLng := dLat / cosDeg(o.Center[0])
	c := o.Center
	area := wire.AreaRequest{Outer: [][2]float64{{c[0] - dLat, c[1] - dLng}, {c[0] - dLat, c[1] + dLng},
		{c[0] + dLat, c[1] + dLng}, {c[0] + dLat, c[1] - dLng}}}
	respawn := wire.RespawnNone
	if o.Respawn {
		respawn = wire.RespawnAfter
	}
	leader, err := s.Leader()
	if err != nil {
		return 0, err
	}
	admin := wire.NewClient([]string{leader}, s.AdminToken, s.http)
	id, err := admin.CreateHunt(context.Background(), wire.HuntRequest{Name: "bench", Area: area, Resolution: o.Resolution,
		Treasures: o.Treasures, MinSpacing: 2, ClaimRadius: 1, Respawn: respawn})
	if err != nil {
		return 0, err
	}
	return id, admin.StartHunt(context.Background(), id)
}

// Hunt returns a hunt with its treasures (a linearizable read).
func (s *System) Hunt(id uint32) (*wire.HuntDetail, error) {
	leader, err := s.Leader()
	if err != nil {
		return nil, err
	}
	var d wire.HuntDetail
	return &d, s.call(leader, "GET", fmt.Sprintf("/v1/hunts/%d?consistent=true", id), nil, &d)
}

// tokenTTL outlives the longest run (-duration at most 24h): an edge ends a
// session when its token expires (SPEC.md §2.3), and the simulated players
// do not refresh theirs.
const tokenTTL = 25 * time.Hour

// Tokens mints player tokens for players first … first+n-1: locally when
// the system is ours, else through the admin API (8 at a time).
func (s *System) Tokens(hunt uint32, first, n int) ([]string, error) {
	out := make([]string, n)
	if s.Key != nil {
		now := time.Now()
		for i := range out {
			t, err := token.Mint(s.Key, uint32(first+i), hunt, "bench", now, tokenTTL)
			if err != nil {
				return nil, err
			}
			out[i] = t
		}
		return out, nil
	}
	c := wire.NewClient([]string{s.Coordinator}, s.AdminToken, s.http)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += 8 {
				tok, err := c.Token(context.Background(), wire.TokenRequest{Player: uint32(first + i), Hunt: hunt,
					Name: "bench", TTLSeconds: int(tokenTTL / time.Second)})
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = tok
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

func (s *System) call(base, method, path string, in, out any) error {
	return wire.NewClient([]string{base}, s.AdminToken, s.http).Do(context.Background(), method, path, in, out, false)
}

// WSURL is the edge's WebSocket URL.
func (s *System) WSURL() string { return "ws://" + strings.TrimPrefix(s.Edge, "http://") + "/ws" }

// WTInfo is where and how to reach the edge over WebTransport.
func (s *System) WTInfo() (url string, certHash []byte, err error) {
	var info struct {
		URL  string `json:"url"`
		Hash []byte `json:"cert_sha256"` // base64, as encoding/json decodes []byte
	}
	if err := s.call(s.Edge, "GET", "/v1/wt", nil, &info); err != nil {
		return "", nil, err
	}
	return info.URL, info.Hash, nil
}

func cosDeg(d float64) float64 { return math.Cos(d * math.Pi / 180) }
