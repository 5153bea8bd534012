// Package loadtest is livevote's load generator, the command cmd/loadtest.
//
// Voters arrive open loop: at a constant rate, whether or not earlier votes were answered, so a
// slow server shows as latency (measured from each arrival's scheduled time: corrected for
// coordinated omission), not as a politely lower request rate. With -phones each arrival is a
// goroutine started at its scheduled time on a new connection of its own, as a phone's: no arrival
// waits for an earlier one's answer or for a free connection. Without, a pool of -conns keep-alive
// connections takes the arrivals in order (the saturation runs: the most the server answers over
// that many connections). Each voter holds a voter cookie
// (and a solved challenge when the poll asks for proof of work), got before the timed phase unless
// -prepare=false, and votes once; a few vote twice and must be refused. Dashboards watch the poll
// over WebSockets and time when each vote becomes visible. At the end the tool prints a table and
// checks the accounting exactly: the ballots the server recorded during the run (organiser
// results: counted plus held) equal the votes acknowledged, no voter was acknowledged twice and
// every receipt is distinct. It returns an error when the check fails.
//
// The tool loads loopback addresses only, and stops by itself.
package loadtest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/livevote/livevote/internal/apiclient"
)

// Targets of the timed phase.
const (
	targetVote    = "vote"
	targetHealthz = "healthz"
)

// config is the command line.
type config struct {
	url        string
	addr       string // host:port of url
	poll       string
	token      string
	target     string
	rate       float64
	duration   time.Duration
	conns      int
	phones     bool
	voters     int
	prepare    bool
	difficulty int
	revote     float64
	dashboards int
	hz         int
	startAt    float64
	serverPID  int
	redisPID   int
	settle     time.Duration
	timeout    time.Duration
	jsonPath   string
	quiet      bool

	// The peer (peer.go): "" for livevote, or centrifugo.
	peer        string
	peerKey     string
	peerChannel string
	peerSize    int
}

func parse(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "the server (loopback addresses only)")
	fs.StringVar(&c.poll, "poll", "", "poll id; empty: the server's first poll")
	fs.StringVar(&c.token, "token", "", "organiser token: reads the counts for the accounting check, sets -difficulty")
	fs.StringVar(&c.target, "target", targetVote, "what arrivals do: vote, or healthz (GET /healthz, to measure the server's own ceiling)")
	fs.Float64Var(&c.rate, "rate", 100, "arrivals per second (open loop); 0: no arrivals (dashboards only)")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "length of the timed phase")
	fs.IntVar(&c.conns, "conns", 64, "HTTP keep-alive connections, the most requests in flight (a closed pool: an arrival waits for a free one)")
	fs.BoolVar(&c.phones, "phones", false, "each arrival a phone: a goroutine started at its scheduled time and a new connection of its own (no pool, no wait; -conns ignored)")
	fs.IntVar(&c.voters, "voters", 0, "voters to prepare; 0: rate x duration (arrivals stop when they run out; the window still lasts -duration)")
	fs.BoolVar(&c.prepare, "prepare", true, "get voter cookies and solve challenges before the timed phase; false: each arrival does it, timed")
	fs.IntVar(&c.difficulty, "difficulty", -1, "set the poll's proof-of-work difficulty first (organiser token); -1: leave it")
	fs.Float64Var(&c.revote, "revote", 0.01, "fraction of acknowledged voters that vote again (must be refused 409)")
	fs.IntVar(&c.dashboards, "dashboards", 0, "live-update WebSocket connections watching the poll")
	fs.IntVar(&c.hz, "hz", 4, "updates per second the dashboards ask for")
	fs.Float64Var(&c.startAt, "start-at", 0, "start the timed phase at this Unix time (seconds), to line up several tool processes; 0: when ready")
	fs.IntVar(&c.serverPID, "server-pid", 0, "the server's process id: report its CPU time and RSS over the timed phase (Linux /proc)")
	fs.IntVar(&c.redisPID, "redis-pid", 0, "Redis's process id: report its CPU time over the timed phase (Linux /proc)")
	fs.DurationVar(&c.settle, "settle", time.Second, "how long dashboards keep listening after the timed phase")
	fs.DurationVar(&c.timeout, "timeout", 10*time.Second, "per request")
	fs.StringVar(&c.jsonPath, "json", "", "also write the report as JSON to this file")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress lines")
	fs.StringVar(&c.peer, "peer", "", "measure a peer instead of livevote: centrifugo (dashboards subscribe to -peer-channel, arrivals publish to it)")
	fs.StringVar(&c.peerKey, "peer-key", "", "the peer's HTTP API key (X-API-Key)")
	fs.StringVar(&c.peerChannel, "peer-channel", "bench", "the peer's channel")
	fs.IntVar(&c.peerSize, "peer-size", 320, "bytes of data in each publication to the peer (the push frame adds its envelope)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	u, err := url.Parse(c.url)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return c, fmt.Errorf("-url %q: want http://host:port", c.url)
	}
	host := u.Hostname()
	ips, err := net.LookupIP(host)
	if err != nil || len(ips) == 0 {
		return c, fmt.Errorf("-url %q: %v", c.url, err)
	}
	for _, ip := range ips {
		if !ip.IsLoopback() {
			return c, fmt.Errorf("-url %q: the load tool sends load to loopback addresses only", c.url)
		}
	}
	port := u.Port()
	if port == "" {
		port = "80"
	}
	c.addr = net.JoinHostPort(host, port)
	c.url = "http://" + c.addr
	if c.peer == peerCentrifugo {
		c.target = targetPublish
	}
	switch {
	case c.peer != "" && c.peer != peerCentrifugo:
		return c, fmt.Errorf("-peer %q: want centrifugo", c.peer)
	case c.peer != "" && c.rate > 0 && c.peerKey == "":
		return c, errors.New("-peer-key is required to publish to the peer")
	case c.peer == "" && c.target != targetVote && c.target != targetHealthz:
		return c, fmt.Errorf("-target %q: want vote or healthz", c.target)
	case c.rate < 0 || c.rate > 1e6 || c.duration <= 0 || c.duration > time.Hour:
		return c, errors.New("-rate must be 0 to 1,000,000 and -duration up to an hour")
	case c.conns < 1 || c.conns > 10_000 || c.dashboards < 0 || c.dashboards > 19_000 || c.voters < 0 || c.voters > 10_000_000:
		return c, errors.New("-conns must be 1 to 10,000, -dashboards 0 to 19,000, -voters up to 10,000,000")
	case c.revote < 0 || c.revote > 1:
		return c, errors.New("-revote must be 0 to 1")
	case c.target == targetVote && c.rate > 0 && c.token == "":
		return c, errors.New("-token (the organiser token) is required to check the accounting of a vote run")
	case c.difficulty >= 0 && c.token == "":
		return c, errors.New("-difficulty needs -token")
	}
	return c, nil
}

// Report is the outcome of one run, as printed and as written with -json.
type Report struct {
	Target     string        `json:"target"`
	Poll       string        `json:"poll"`
	Difficulty int           `json:"difficulty"`
	Conns      int           `json:"conns"`
	Phones     bool          `json:"phones"`
	Duration   time.Duration `json:"duration_ns"`
	Rate       float64       `json:"rate"`

	// Start is when the timed window began.
	Start   time.Time `json:"start"`
	Offered int64     `json:"offered"`
	Sent    int64     `json:"sent"`
	Missed  int64     `json:"missed"`
	Acked   int64     `json:"acked"`
	Unknown int64     `json:"unknown"`
	// Elapsed is from the start of the window to the last answer.
	Elapsed       time.Duration    `json:"elapsed_ns"`
	OfferedPerSec float64          `json:"offered_per_sec"`
	AckedPerSec   float64          `json:"acked_per_sec"`
	Latency       summary          `json:"latency"`
	Service       summary          `json:"service"`
	Late          summary          `json:"late"`
	Errors        map[string]int64 `json:"errors"`

	Revotes       int64 `json:"revotes"`
	RevoteRefused int64 `json:"revote_refused"`
	DoubleAcks    int64 `json:"double_acks"`
	DupReceipts   int64 `json:"duplicate_receipts"`

	Before  apiclient.Counts `json:"before"`
	After   apiclient.Counts `json:"after"`
	Checked bool             `json:"checked"`
	CheckOK bool             `json:"check_ok"`
	Check   string           `json:"check"`

	Dashboards int        `json:"dashboards"`
	Hz         int        `json:"hz"`
	Dash       dashReport `json:"dash"`

	// The machine's work in the window: the server's, Redis's and the tool's own (always).
	Server *procReport `json:"server,omitempty"`
	Redis  *procReport `json:"redis,omitempty"`
	Tool   *procReport `json:"tool"`
}

// Run runs the load tool with the command-line arguments args (without the program name),
// prints progress lines to stderr and the report to stdout, and returns an error when the run
// could not be made or the accounting check failed.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parse(args, stderr)
	if err != nil {
		return err
	}
	tell := func(s string) {
		if !c.quiet {
			fmt.Fprintf(stderr, "loadtest: %s\n", s)
		}
	}
	r, err := load(ctx, c, tell)
	if err != nil {
		return err
	}
	r.print(stdout)
	if c.jsonPath != "" {
		b, _ := json.MarshalIndent(r, "", "  ")
		if err := os.WriteFile(c.jsonPath, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	if r.Checked && !r.CheckOK {
		return fmt.Errorf("accounting check failed: %s", r.Check)
	}
	return nil
}

func load(ctx context.Context, c config, tell func(string)) (*Report, error) {
	a, err := newAPI(c.url, c.addr, c.token, c.conns, c.timeout)
	if err != nil {
		return nil, err
	}
	defer a.close()
	r := &Report{Target: c.target, Poll: c.poll, Conns: c.conns, Phones: c.phones, Duration: c.duration, Rate: c.rate,
		Dashboards: c.dashboards, Hz: c.hz, Errors: map[string]int64{}}
	voting := c.target == targetVote && c.rate > 0
	var info apiclient.Poll
	if c.peer == "" && (c.target == targetVote || c.dashboards > 0) {
		if r.Poll == "" {
			if r.Poll, err = a.org.FirstPoll(ctx); err != nil {
				return nil, err
			}
		}
		if c.difficulty >= 0 {
			if err := a.org.SetDifficulty(ctx, r.Poll, c.difficulty); err != nil {
				return nil, err
			}
		}
		if info, err = a.org.Poll(ctx, r.Poll); err != nil {
			return nil, err
		}
		if voting && (info.Status != "open" || len(info.Candidates) == 0) {
			return nil, fmt.Errorf("poll %s is %s with %d candidates: nothing to vote for", r.Poll, info.Status, len(info.Candidates))
		}
		r.Difficulty = info.Difficulty
	}

	arrivals := int64(math.Floor(c.rate * c.duration.Seconds()))
	p := &phase{ctx: ctx, api: a, target: c.target, poll: r.Poll, difficulty: info.Difficulty, revote: int64(c.revote * 10000),
		peerKey: c.peerKey, peerChannel: c.peerChannel, peerSize: c.peerSize, phones: c.phones}
	if c.target == targetVote {
		for _, cand := range info.Candidates {
			b, _ := json.Marshal(apiclient.Ballot{Choices: []string{cand.ID}})
			p.bodies = append(p.bodies, b)
		}
		if c.voters > 0 {
			arrivals = min(arrivals, int64(c.voters))
		}
		if c.prepare && arrivals > 0 {
			start := time.Now()
			v, err := a.prepare(ctx, int(arrivals), c.conns, r.Poll, info.Difficulty, tell)
			if err != nil {
				return nil, err
			}
			p.voters = v
			a.prepared()
			tell(fmt.Sprintf("prepared %d voters in %s", len(v), time.Since(start).Round(time.Millisecond)))
		}
	}
	p.arrivals = arrivals
	r.Offered = arrivals
	if c.phones {
		a.hc.MaxConns = int(max(arrivals, 1)) // every arrival may be in flight at once
	}

	var ds *dashboards
	if c.dashboards > 0 {
		start := time.Now()
		wsURL, hello := "ws://"+c.addr+"/ws/polls/"+r.Poll+"?hz="+strconv.Itoa(c.hz), []byte(nil)
		if c.peer != "" {
			wsURL, hello = "ws://"+c.addr+peerWSPath, peerHello(c.peerChannel)
		}
		if ds, err = connect(ctx, wsURL, hello, c.dashboards, tell); err != nil {
			return nil, err
		}
		defer ds.close()
		tell(fmt.Sprintf("connected %d dashboards in %s", c.dashboards, time.Since(start).Round(time.Millisecond)))
	}
	if voting {
		if r.Before, err = a.org.Results(ctx, r.Poll); err != nil {
			return nil, err
		}
	}

	// The workers' counters (their histograms are large) before the first arrival is due.
	workers := make([]*worker, c.conns)
	if arrivals > 0 {
		for i := range workers {
			workers[i] = &worker{}
		}
	}

	// The timed phase.
	t0 := time.Now()
	if c.startAt > 0 {
		t0 = time.Unix(0, int64(c.startAt*1e9))
		if d := time.Until(t0); d > 0 {
			tell(fmt.Sprintf("waiting %s for the start", d.Round(time.Millisecond)))
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		} else {
			tell(fmt.Sprintf("ready %s after the agreed start: starting now", (-d).Round(time.Millisecond)))
			t0 = time.Now()
		}
	}
	end := t0.Add(c.duration)
	p.t0, p.end = t0, end
	r.Start = t0
	if c.rate > 0 {
		p.interval = time.Duration(float64(time.Second) / c.rate)
	}
	procs := map[string]*procSampler{"tool": newProcSampler(os.Getpid())}
	if c.serverPID > 0 {
		procs["server"] = newProcSampler(c.serverPID)
	}
	if c.redisPID > 0 {
		procs["redis"] = newProcSampler(c.redisPID)
	}
	for _, p := range procs {
		p.sample(0)
	}
	var wg sync.WaitGroup
	if arrivals > 0 {
		if c.phones {
			wg.Go(func() { p.launch(workers) })
		} else {
			for _, w := range workers {
				wg.Go(func() { p.run(w) })
			}
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	ticker := time.NewTicker(time.Second)
	defer ticker.Stop()
	window := time.NewTimer(time.Until(end))
	defer window.Stop()
	// Dashboards-only runs (and runs that ran out of arrivals) still last the whole window.
	var lastDone time.Time
	finished, over := false, false
	for !finished || !over {
		select {
		case <-done:
			lastDone, finished, done = time.Now(), true, nil
			if arrivals > 0 {
				for _, p := range procs {
					p.sample(2)
				}
			}
		case <-window.C:
			// Here, not in a timer's own goroutine: the report reads sample 1 after this loop
			// (a voter's process could report before a late timer had taken it: negative CPU).
			for _, p := range procs {
				p.sample(1)
			}
			over = true
		case <-ctx.Done():
			p.next.Store(arrivals) // no more arrivals; those in flight finish
			wg.Wait()
			return nil, ctx.Err()
		case now := <-ticker.C:
			line := fmt.Sprintf("%5.1fs sent %d acked %d errors %d", now.Sub(t0).Seconds(), p.sentN.Load(), p.ackedN.Load(), p.errN.Load())
			if ds != nil {
				line += fmt.Sprintf(" | dashboards %d, messages %d, lost %d", c.dashboards, ds.msgs.Load(), ds.lost.Load())
			}
			tell(line)
		}
	}
	settle := time.Now().Add(c.settle)
	if ds != nil {
		time.Sleep(c.settle)
	}

	var acks []int64
	var rcpts [][]byte
	var latency, service, late histogram
	for _, w := range workers {
		if w == nil {
			continue
		}
		latency.merge(&w.latency)
		service.merge(&w.service)
		late.merge(&w.late)
		r.Sent += w.sent
		r.Acked += w.acked
		r.Missed += w.missed
		r.Unknown += w.unknown
		r.Revotes += w.revotes
		r.RevoteRefused += w.revoteRefused
		r.DoubleAcks += w.doubleAcks
		for k, n := range w.errors {
			r.Errors[k] += n
		}
		acks = append(acks, w.acks...)
		rcpts = append(rcpts, w.rcpts...)
	}
	r.Latency, r.Service, r.Late = latency.summary(), service.summary(), late.summary()
	if arrivals > 0 {
		r.Elapsed = lastDone.Sub(t0)
		r.OfferedPerSec = c.rate
		r.AckedPerSec = float64(r.Acked) / r.Elapsed.Seconds()
	}
	slices.Sort(acks)
	slices.SortFunc(rcpts, func(a, b []byte) int { return cmp.Compare(string(a), string(b)) })
	for i := 1; i < len(rcpts); i++ {
		if string(rcpts[i]) == string(rcpts[i-1]) || len(rcpts[i]) == 0 {
			r.DupReceipts++
		}
	}

	if ds != nil {
		ds.close()
		r.Dash = ds.report(t0, end, settle, acks, c.hz)
	}
	r.Tool = procs["tool"].report(r.Dash.Messages, r.Acked)
	if p := procs["server"]; p != nil {
		r.Server = p.report(r.Dash.Messages, r.Acked)
	}
	if p := procs["redis"]; p != nil {
		r.Redis = p.report(r.Dash.Messages, r.Acked)
	}
	if voting {
		if r.After, err = a.org.Results(ctx, r.Poll); err != nil {
			return nil, err
		}
		r.check()
	}
	return r, nil
}

// check compares the acknowledgements with what the server recorded.
func (r *Report) check() {
	r.Checked = true
	delta := r.After.Recorded() - r.Before.Recorded()
	var faults []string
	if delta != r.Acked {
		faults = append(faults, fmt.Sprintf("acknowledged %d, but the server recorded %d ballots", r.Acked, delta))
	}
	if r.Unknown > 0 {
		faults = append(faults, fmt.Sprintf("%d requests ended without an answer: their ballots may or may not be recorded", r.Unknown))
	}
	if r.DoubleAcks > 0 {
		faults = append(faults, fmt.Sprintf("%d voters were acknowledged twice", r.DoubleAcks))
	}
	if r.DupReceipts > 0 {
		faults = append(faults, fmt.Sprintf("%d receipts repeated or missing", r.DupReceipts))
	}
	if len(faults) > 0 {
		r.Check = strings.Join(faults, "; ")
		return
	}
	r.CheckOK = true
	r.Check = fmt.Sprintf("acknowledged %d == recorded %d (counted %+d, held %+d); no voter acknowledged twice (%d revotes, %d refused); receipts distinct",
		r.Acked, delta, r.After.Counted-r.Before.Counted, r.After.Held-r.Before.Held, r.Revotes, r.RevoteRefused)
}

// print writes the report's table.
func (r *Report) print(w io.Writer) {
	conns := fmt.Sprintf("%d connections", r.Conns)
	if r.Phones {
		conns = "phones (a goroutine and a new connection per arrival)"
	}
	fmt.Fprintf(w, "\nloadtest: target %s, poll %s, difficulty %d, %s, %s at %s/s offered\n",
		r.Target, r.Poll, r.Difficulty, conns, r.Duration, num(r.Rate))
	row := func(k, format string, a ...any) { fmt.Fprintf(w, "  %-24s "+format+"\n", append([]any{k}, a...)...) }
	unit := "votes/s"
	switch r.Target {
	case targetHealthz:
		unit = "requests/s"
	case targetPublish:
		unit = "publications/s"
	}
	if r.Offered > 0 {
		span := min(r.Duration, time.Duration(float64(r.Offered)/r.Rate*float64(time.Second))).Round(time.Millisecond)
		row(unit+" offered", "%s  (%d arrivals over %s; %d sent, %d missed: not started by the end of the window)", num(r.OfferedPerSec), r.Offered, span, r.Sent, r.Missed)
		row(unit+" acknowledged", "%s  (%d in %s)", num(r.AckedPerSec), r.Acked, r.Elapsed.Round(time.Millisecond))
		row("latency (corrected)", "%s", durs(r.Latency))
		row("service time", "%s", durs(r.Service))
		row("sent late (tool)", "%s", durs(r.Late))
		if len(r.Errors) == 0 {
			row("errors", "none")
		} else {
			keys := make([]string, 0, len(r.Errors))
			for k := range r.Errors {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = fmt.Sprintf("%s %d", k, r.Errors[k])
			}
			row("errors", "%s", strings.Join(parts, ", "))
		}
		if r.Target == targetVote {
			row("revotes", "%d sent, %d refused already_voted, %d acknowledged twice", r.Revotes, r.RevoteRefused, r.DoubleAcks)
		}
	}
	if r.Dashboards > 0 {
		d := r.Dash
		row("dashboards", "%d connected at %d Hz, %d lost; %d messages in the window (%d in all, %d bytes on average, %d seq gaps)",
			d.Connected, r.Hz, d.Lost, d.Messages, d.MessagesAll, d.MeanBytes, d.SeqGaps)
		row("ticks", "%d readings in the window, %d ticks skipped between them; %d of the %d (dashboard, reading) pairs delivered, %d not",
			d.Ticks, d.Skipped, d.TickDeliveries, int64(d.Connected)*int64(d.Ticks), d.Undelivered)
		row("delivery (at -> client)", "%s", durs(d.Delivery))
		if d.Sampled > 0 {
			row("vote-to-visible", "%s  (%d dashboards, %d not seen)", durs(d.VoteToVisible), d.Sampled, d.NotSeen)
		}
		for _, e := range d.Errors {
			row("dashboard error", "%s", e)
		}
	}
	if s := r.Server; s != nil {
		row("server CPU", "%.2f s in %s (%.2f cores)", s.CPU, s.Window.Round(time.Millisecond), s.CPU/s.Window.Seconds())
		if s.PerMessage > 0 {
			row("server CPU per message", "%.2f us (all of the server's CPU over the window / messages this process's dashboards got in it)", s.PerMessage)
		}
		row("server RSS", "%s at the start, %s at the end", kb(s.RSSStart), kb(s.RSSEnd))
	}
	if s := r.Redis; s != nil {
		row("Redis CPU", "%.2f s in %s (%.2f cores)", s.CPU, s.Window.Round(time.Millisecond), s.CPU/s.Window.Seconds())
	}
	if r.Acked > 0 && r.Tool != nil && r.Dashboards == 0 { // with dashboards, they cost most
		parts := []string{fmt.Sprintf("tool %.1f", r.Tool.PerRequest)}
		if r.Server != nil {
			parts = append(parts, fmt.Sprintf("server %.1f", r.Server.PerRequest))
		}
		if r.Redis != nil {
			parts = append(parts, fmt.Sprintf("Redis %.1f", r.Redis.PerRequest))
		}
		row("CPU per acknowledged", "%s us (from the start of the window to the last answer)", strings.Join(parts, ", "))
	}
	if r.Checked {
		verdict := "FAILED"
		if r.CheckOK {
			verdict = "OK"
		}
		row("check", "%s: %s", verdict, r.Check)
	}
	fmt.Fprintln(w)
}

func num(x float64) string {
	if x >= 100 {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'f', 1, 64)
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) + " ms"
}

func durs(s summary) string {
	if s.Count == 0 {
		return "-"
	}
	return fmt.Sprintf("p50 %s  p90 %s  p99 %s  max %s  (%d)", ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max), s.Count)
}

func kb(n int64) string { return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " MiB" }
