package fraud

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/livevote/livevote/vote"
)

// Store is what the fraud checks read and change of the vote store (each part's contract is on
// its interface in package vote).
type Store interface {
	vote.States
	vote.Snapshots
	vote.Records
	vote.Sources
	vote.FraudCounters
}

// Observer receives what the fraud checks measure, for metrics (package monitoring implements
// it). Every method must be safe for concurrent use; Signal runs on the vote path. Label values
// are poll and candidate ids of the ballot file and signal names. Nothing per candidate is
// reported but the counts of a snapshot (Poll), which an Observer must expose only while the
// snapshot's results are public.
type Observer interface {
	// Signal reports a fraud signal one vote attempt showed.
	Signal(signal string)
	// Poll reports a poll's state as sampled (every Config.Every).
	Poll(s vote.Snapshot)
	// Fraud reports a poll's fraud figures as sampled: the busiest subnet's share of the last
	// minute's ballots (0 without ballots) and how many candidates are surging (Velocity),
	// without saying which: a candidate's velocity is its recent count, and would tell a hidden
	// tally (the organisers read it in the signals overview).
	Fraud(poll string, topSubnetShare float64, surging int)
	// Settled reports one settling pass of a poll's pending ballots: how many were released
	// automatically and how many stay held for a skewed source.
	Settled(poll string, released, skewed int)
}

// Config is what Checks are built from.
type Config struct {
	Polls []*vote.Poll
	// Store is read by the loops (Sample, Settle) and the organiser's views; only the
	// vote path's methods (Screen, Verdict, the counts) work without it.
	Store Store
	// Results are the results a vote attempt can end with ("accepted", "held", the codes that
	// refuse one): the fraud counters count attempts by them (CountResult).
	Results []string
	// Hashes hashes addresses as the vote path does (the organiser's views mark trusted sources).
	Hashes Hashes
	// Observer receives what the checks measure; nil: nothing.
	Observer Observer
	// Every is how often Sample samples each poll (velocity, metrics, sharing the fraud counters
	// with other instances); 0: every 5 s. Settle settles every 2 s, or Every when shorter.
	Every  time.Duration
	Now    func() time.Time
	Logger *slog.Logger
}

// Hashes are the keyed hashes of client addresses (package access's Keys): the store never sees an
// address.
type Hashes interface {
	// SourceHash is the hash of an address of kind "ip".
	SourceHash(kind string, a netip.Addr) string
	// SubnetHash is the hash of the address's /24 (IPv4) or /48 (IPv6).
	SubnetHash(a netip.Addr) string
}

// Checks are the fraud checks of a set of polls and their state in this instance: each poll's
// candidates' velocity, its trusted subnets (as last read from the store) and the counts of
// vote results and signals not yet added to the store's counters. They judge vote attempts for
// the booth (vote.Judge), run the sampler and the settling of pending ballots (Sample, Settle),
// and answer the organiser's fraud views. Safe for concurrent use.
type Checks struct {
	polls   map[string]*pollState // by poll id
	order   []*vote.Poll
	store   Store
	results map[string]int // Config.Results' indexes
	hashes  Hashes
	obs     Observer
	every   time.Duration
	now     func() time.Time
	log     *slog.Logger
}

// pollState is what the checks keep of one poll.
type pollState struct {
	poll     *vote.Poll
	velocity *Velocity
	trusted  atomic.Pointer[[]netip.Prefix]
	results  []atomic.Int64 // by Config.Results index
	signals  []atomic.Int64 // by vote.Signals index
}

// Sampling of the polls (Sample, Settle).
const (
	// defaultEvery is how often each poll is sampled when Config.Every is 0.
	defaultEvery = 5 * time.Second
	// sampleTimeout bounds each store call of a sample.
	sampleTimeout = 2 * time.Second
	// settleEvery is how often each poll's pending ballots are settled (at most: the sample's
	// interval when shorter): a pending ballot of a source that votes like the rest of the poll
	// is public within about this much after its source has enough ballots.
	settleEvery = 2 * time.Second
)

// New returns the checks of cfg.Polls. It starts nothing.
func New(cfg Config) *Checks {
	c := &Checks{polls: make(map[string]*pollState, len(cfg.Polls)), order: cfg.Polls, store: cfg.Store,
		results: make(map[string]int, len(cfg.Results)), hashes: cfg.Hashes, obs: cfg.Observer,
		every: cfg.Every, now: cfg.Now, log: cfg.Logger}
	for i, r := range cfg.Results {
		c.results[r] = i
	}
	for _, p := range cfg.Polls {
		ps := &pollState{poll: p, velocity: NewVelocity(p), results: make([]atomic.Int64, len(cfg.Results)),
			signals: make([]atomic.Int64, len(vote.Signals))}
		ps.trusted.Store(&[]netip.Prefix{})
		c.polls[p.ID] = ps
	}
	if c.every <= 0 {
		c.every = defaultEvery
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.obs == nil {
		c.obs = nopObserver{}
	}
	return c
}

type nopObserver struct{}

func (nopObserver) Signal(string)              {}
func (nopObserver) Poll(vote.Snapshot)         {}
func (nopObserver) Fraud(string, float64, int) {}
func (nopObserver) Settled(string, int, int)   {}

// Screen implements vote.Judge: the attempt's signals (Judge, with Surging from the poll's
// velocity), whether they refuse or hold it, and its source's caps: Caps, without the
// shared-source hold for the server's own machine (From.Local), and holding a network new to
// the poll while the organiser holds them (State.HoldNewUntil; never a trusted subnet's).
func (c *Checks) Screen(r vote.Request, st vote.State, now time.Time) vote.Screening {
	p, a := r.Poll, r.Attempt
	if ps := c.polls[p.ID]; ps != nil {
		a.Surging = ps.velocity.Surging(r.Choices)
	}
	v := Judge(p.Fraud, a)
	sc := vote.Screening{Signals: v.Signals, Refuse: Refusal(v), Hold: v.Action == vote.Hold}
	if r.From.IP != "" {
		sc.Caps = Caps(p.Fraud, r.From.Trusted)
		sc.Caps.Shared = sc.Caps.Shared && !r.From.Local
		sc.Caps.HoldNew = !r.From.Trusted && p.Fraud.Hold && now.Before(st.HoldNewUntil)
	}
	return sc
}

// Verdict implements vote.Judge: the screening's signals decided (Decide), with the hard cap's
// refusal (WithCap) or, for a ballot recorded from a source, what the store counted
// (WithSource).
func (c *Checks) Verdict(p *vote.Poll, sc vote.Screening, from vote.Origin, got vote.Counted, err error) vote.Verdict {
	v := Decide(p.Fraud, sc.Signals)
	switch {
	case errors.Is(err, vote.ErrSourceCapped):
		return WithCap(v)
	case err == nil && from.IP != "":
		return WithSource(v, p.Fraud, from.Trusted, got)
	}
	return v
}

// Trusted reports whether address a is in a subnet the organiser trusts in poll p.
func (c *Checks) Trusted(p *vote.Poll, a netip.Addr) bool {
	ps := c.polls[p.ID]
	return ps != nil && ps.isTrusted(a)
}

// TrustedAnywhere reports whether a is in a subnet the organiser trusts in some poll.
func (c *Checks) TrustedAnywhere(a netip.Addr) bool {
	for _, ps := range c.polls {
		if ps.isTrusted(a) {
			return true
		}
	}
	return false
}

func (ps *pollState) isTrusted(a netip.Addr) bool {
	for _, p := range *ps.trusted.Load() {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// setTrusted replaces the poll's trusted subnets with list (CIDR prefixes as the store keeps
// them; any that do not parse are skipped).
func (ps *pollState) setTrusted(list []string) {
	out := make([]netip.Prefix, 0, len(list))
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p)
		}
	}
	ps.trusted.Store(&out)
}

// CountResult counts a vote attempt on the poll with id poll by its result (one of
// Config.Results; others, and unknown polls, are not counted), for the store's fraud counters.
func (c *Checks) CountResult(poll, result string) {
	ps := c.polls[poll]
	if i, ok := c.results[result]; ps != nil && ok {
		ps.results[i].Add(1)
	}
}

// CountSignals counts the signals of one attempt on p, for the store's fraud counters and the
// Observer.
func (c *Checks) CountSignals(p *vote.Poll, signals []vote.Signal) {
	ps := c.polls[p.ID]
	for _, sig := range signals {
		if ps != nil {
			ps.signals[signalIndex(sig)].Add(1)
		}
		c.obs.Signal(string(sig))
	}
}

// signalIndex is the index of s in vote.Signals.
func signalIndex(s vote.Signal) int {
	for i, x := range vote.Signals {
		if x == s {
			return i
		}
	}
	return 0
}

// take returns the counts not yet added to the store and zeroes them.
func (c *Checks) take(ps *pollState) vote.FraudCounts {
	fc := vote.FraudCounts{Results: map[string]int64{}, Signals: map[string]int64{}}
	for r, i := range c.results {
		if n := ps.results[i].Swap(0); n != 0 {
			fc.Results[r] = n
		}
	}
	for i := range ps.signals {
		if n := ps.signals[i].Swap(0); n != 0 {
			fc.Signals[string(vote.Signals[i])] = n
		}
	}
	return fc
}

// giveBack returns counts that could not be added to the store, for the next flush.
func (c *Checks) giveBack(ps *pollState, fc vote.FraudCounts) {
	for name, n := range fc.Results {
		ps.results[c.results[name]].Add(n)
	}
	for name, n := range fc.Signals {
		ps.signals[signalIndex(vote.Signal(name))].Add(n)
	}
}

// flush adds this instance's counts of ps's poll to the store's fraud counters.
func (c *Checks) flush(ctx context.Context, ps *pollState) error {
	fc := c.take(ps)
	if len(fc.Results)+len(fc.Signals) == 0 {
		return nil
	}
	if err := c.store.AddFraudCounts(ctx, ps.poll, fc); err != nil {
		c.giveBack(ps, fc)
		return err
	}
	return nil
}
