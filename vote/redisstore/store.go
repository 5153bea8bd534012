// Package redisstore is the vote store on Redis (go-redis v9): one Redis or a Redis Cluster,
// shared by any number of livevote instances. It keeps each poll's keys itself (keys.go), sends
// casts in micro-batches (batch.go) as one Lua script per poll and minute (cast.lua, whose
// arguments args.go lays out), and turns every failure to get an answer into vote.ErrUnavailable.
package redisstore

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"github.com/livevote/livevote/vote"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

//go:embed cast.lua
var castScript string

//go:embed review.lua
var reviewLua string

// Connection defaults of Open, used where the spec does not set them: a Redis that does not
// answer turns into ErrUnavailable within a second or two, not after go-redis's defaults (5 s
// timeouts, 5 dial attempts, 3 retries).
const (
	redisDialTimeout  = time.Second // per connection attempt
	redisDialRetries  = 1           // connection attempts per command attempt
	redisReadTimeout  = time.Second // a Cast is one short script; a slow reply is a sick Redis
	redisWriteTimeout = time.Second
	redisMaxRetries   = 1 // one retry on a broken connection (Cast is idempotent per receipt)
	redisRetryBackoff = 100 * time.Millisecond
	// Snapshot and the state setters are tiny MULTI/EXEC pipelines: they share the command pool
	// (-1) rather than a dedicated pipeline pool, whose new connections take a second timeout more
	// to fail when Redis hangs.
	redisPipelinePool = -1
)

// Store is the vote store for any number of instances sharing one Redis or a Redis Cluster.
//
// Every key of poll P carries the hash tag {lv:P}, so a poll lives on one cluster node and a Cast
// is one script there:
//
//	{lv:P}:state      hash   status, results, difficulty, ... (stateFields; a missing field reads as P's Initial)
//	{lv:P}:voters     hash   voter|period -> receipt id
//	{lv:P}:receipts   hash   receipt id -> "<recorded at, Unix ms>|counted or held|<choices a,b>"
//	{lv:P}:tally      hash   candidate -> counted choices
//	{lv:P}:heldtally  hash   candidate -> held choices
//	{lv:P}:ballots    string counted ballots
//	{lv:P}:held       string held ballots
//	{lv:P}:void       string ballots voided by review
//	{lv:P}:version    string the poll's version (vote.Snapshots.Versions): INCR'd in the step of
//	                         every change a snapshot shows (cast.lua, review.lua, the state, fraud)
//	{lv:P}:m, :h      hash   minute / hour start (Unix seconds) -> ballots received (void included)
//	{lv:P}:log        stream one entry per ballot: receipt, at (Unix ms), voter (the keyed hash),
//	                         period, choices (a,b), state (counted or held)
//	{lv:P}:pending    zset   held ballots awaiting review (score: recorded at, Unix ms)
//	{lv:P}:waiting    zset   the pending ones of them (held for their source alone)
//	{lv:P}:why        hash   held receipt -> "<IP hash>|<subnet hash>|<group hash>|<signals a,b>"
//	                         (recorded before groups: "<IP hash>|<subnet hash>|<signals a,b>")
//	{lv:P}:ch:h:T     hash   the choice counters of the hour from T: "<source>|<candidate>" ->
//	                         ballots that chose it (source "": the poll; "!": its ballots held
//	                         for the organiser, "!|" their number)
//	{lv:P}:pow:C      string used challenge C (value: the receipt that used it, or "-"), expires
//
// Cast is one Lua script, shared by the casts of one poll and minute sent together
// (batch.go), run with EVALSHA (falling back to EVAL when Redis lost its script cache
// to a restart, a failover or SCRIPT FLUSH); it is idempotent for a receipt, so a command the client
// library sends again after a lost reply never counts a ballot twice nor reports a recorded
// ballot as refused. Any failure to get an answer from Redis wraps vote.ErrUnavailable.
type Store struct {
	client       redis.UniversalClient
	cast         *redis.Script
	reviewScript *redis.Script
	keys         sync.Map                 // *vote.Poll -> *pollKeys (keys.go)
	lastKeys     atomic.Pointer[pollKeys] // the keys keysOf returned last
	batch        castBatcher              // sends Cast scripts in pipelines (batch.go)
	errs         atomic.Uint64            // failed commands (errors.go)
}

var _ vote.Store = (*Store)(nil)

// Open connects to Redis and checks that it answers. spec is either a URL (redis://,
// rediss:// or unix://, with go-redis options as query parameters, e.g. ?read_timeout=2s) for one
// Redis, or a comma-separated list of host:port seed nodes of a Redis Cluster (one address is a
// cluster seed too). When Redis does not answer, the error wraps ErrUnavailable, and ErrLoading
// too when Redis answered that it is still loading its data; a malformed spec is an error of its
// own.
func Open(ctx context.Context, spec string) (*Store, error) {
	var client redis.UniversalClient
	if strings.Contains(spec, "://") {
		o, err := redis.ParseURL(spec)
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		orDefault(&o.DialTimeout, redisDialTimeout)
		orDefault(&o.DialerRetries, redisDialRetries)
		orDefault(&o.ReadTimeout, redisReadTimeout)
		orDefault(&o.WriteTimeout, redisWriteTimeout)
		orDefault(&o.MaxRetries, redisMaxRetries)
		orDefault(&o.MaxRetryBackoff, redisRetryBackoff)
		orDefault(&o.PipelinePoolSize, redisPipelinePool)
		o.ContextTimeoutEnabled = true
		client = redis.NewClient(o)
	} else {
		var addrs []string
		for a := range strings.SplitSeq(spec, ",") {
			if a = strings.TrimSpace(a); a != "" {
				addrs = append(addrs, a)
			}
		}
		if len(addrs) == 0 {
			return nil, errors.New("redis: empty address list (want a redis:// URL or cluster host:port,...)")
		}
		client = redis.NewClusterClient(&redis.ClusterOptions{
			Addrs:                 addrs,
			DialTimeout:           redisDialTimeout,
			DialerRetries:         redisDialRetries,
			ReadTimeout:           redisReadTimeout,
			WriteTimeout:          redisWriteTimeout,
			MaxRetries:            redisMaxRetries,
			MaxRetryBackoff:       redisRetryBackoff,
			PipelinePoolSize:      redisPipelinePool,
			ContextTimeoutEnabled: true,
		})
	}
	s := &Store{client: client, cast: redis.NewScript(castScript), reviewScript: redis.NewScript(reviewLua)}
	client.AddHook(errorHook{&s.errs})
	if err := s.Ping(ctx); err != nil {
		_ = client.Close()
		if redis.IsLoadingError(err) {
			return nil, fmt.Errorf("%w: %w", ErrLoading, err)
		}
		return nil, err
	}
	return s, nil
}

// ErrLoading is Open's error when Redis answered LOADING: it is reading its data (its AOF or RDB
// file) after a start, answers nothing else until it has, and will then. A caller may wait and
// open again.
var ErrLoading = errors.New("redis is loading its data")

func orDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// Client returns the go-redis client the store uses, for what the Store interface does not cover
// (pool statistics for metrics, tests). Closing it closes the store.
func (s *Store) Client() redis.UniversalClient { return s.client }

// challengeTTL is how long a used challenge is kept: until it expires, and a second at least.
func challengeTTL(until time.Time) time.Duration {
	return max(time.Until(until), time.Second)
}

// Cast implements Store.
func (s *Store) Cast(ctx context.Context, p *vote.Poll, b vote.Ballot) (vote.Counted, error) {
	res, err := s.batch.run(ctx, s, p, b)
	if err != nil {
		return vote.Counted{}, vote.Unavailable(err)
	}
	return castReply(res)
}

// castReply turns the cast script's answer into Cast's result: what it counted, or why it
// refused.
func castReply(res string) (vote.Counted, error) {
	var got vote.Counted
	word, counts, _ := strings.Cut(res, " ")
	switch word {
	case "ok", "held":
		got.Held = word == "held"
		if counts != "" {
			c := &got.Counts
			var shared, heldNew int64
			for _, n := range []*int64{&c.IPMinute, &c.IPHour, &c.SubnetMinute, &c.SubnetHour, &c.GroupHour, &shared, &heldNew} {
				var field string
				field, counts, _ = strings.Cut(counts, " ")
				v, err := strconv.ParseInt(field, 10, 64)
				if err != nil {
					return vote.Counted{}, vote.Unavailable(fmt.Errorf("cast script answered %q: %w", res, err))
				}
				*n = v
			}
			got.Shared, got.HeldNew = shared == 1, heldNew == 1
		}
		return got, nil
	case "capped":
		return got, vote.ErrSourceCapped
	case "closed":
		return got, vote.ErrVotingClosed
	case "challenge":
		return got, vote.ErrChallengeFailed
	case "voted":
		return got, vote.ErrAlreadyVoted
	}
	return got, vote.Unavailable(fmt.Errorf("cast script answered %q", res))
}

var stateFields = []string{"status", "results", "difficulty", "hold_new_until", "withheld", "corrected", "before", "step_at",
	"audited", "audit_consistent"}

// parseState reads the reply to HMGET state stateFields; a missing field is p.Initial's.
func parseState(p *vote.Poll, v []any) (vote.State, error) {
	s := p.Initial
	if len(v) != len(stateFields) {
		return s, vote.Unavailable(fmt.Errorf("poll %s: state: %d fields, want %d", p.ID, len(v), len(stateFields)))
	}
	if st, ok := v[0].(string); ok {
		s.Status = vote.Status(st)
	}
	if r, ok := v[1].(string); ok {
		s.Results = vote.Visibility(r)
	}
	if d, ok := v[2].(string); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			return s, vote.Unavailable(fmt.Errorf("poll %s: state: difficulty %q: %w", p.ID, d, err))
		}
		s.Difficulty = n
	}
	if u, ok := v[3].(string); ok && u != "0" {
		ms, err := strconv.ParseInt(u, 10, 64)
		if err != nil {
			return s, vote.Unavailable(fmt.Errorf("poll %s: state: hold_new_until %q: %w", p.ID, u, err))
		}
		s.HoldNewUntil = time.UnixMilli(ms)
	}
	if w, ok := v[4].(string); ok {
		n, err := strconv.Atoi(w)
		if err != nil {
			return s, vote.Unavailable(fmt.Errorf("poll %s: state: withheld %q: %w", p.ID, w, err))
		}
		s.Withheld = n
	}
	var consistent int64
	for i, f := range []*int64{&s.Corrected, nil, &s.StepAt, &s.Audited, &consistent} {
		c, ok := v[5+i].(string)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			return s, vote.Unavailable(fmt.Errorf("poll %s: state: %s %q: %w", p.ID, stateFields[5+i], c, err))
		}
		if f != nil {
			*f = n
		} else {
			s.Before = int(n)
		}
	}
	s.AuditConsistent = consistent == 1
	return s, nil
}

// count reads a counter from a multi-value reply: nil (no key or field) is zero.
func count(v any) (int64, error) {
	switch v := v.(type) {
	case nil:
		return 0, nil
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, vote.Unavailable(fmt.Errorf("counter %q: %w", v, err))
		}
		return n, nil
	case int64:
		return v, nil
	}
	return 0, vote.Unavailable(fmt.Errorf("counter of type %T", v))
}

// State implements Store.
func (s *Store) State(ctx context.Context, p *vote.Poll) (vote.State, error) {
	v, err := s.client.HMGet(ctx, s.keysOf(p).state, stateFields...).Result()
	if err != nil {
		return vote.State{}, vote.Unavailable(err)
	}
	return parseState(p, v)
}

// setState sets fields of the poll's state (field, value pairs) and reads the whole state back in
// one transaction.
func (s *Store) setState(ctx context.Context, p *vote.Poll, fieldValues ...any) (vote.State, error) {
	k := s.keysOf(p)
	var get *redis.SliceCmd
	_, err := s.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.HSet(ctx, k.state, fieldValues...)
		pipe.Incr(ctx, k.version)
		get = pipe.HMGet(ctx, k.state, stateFields...)
		return nil
	})
	if err != nil {
		return vote.State{}, vote.Unavailable(err)
	}
	return parseState(p, get.Val())
}

// SetHoldNew implements Store: the field hold_new_until, Unix milliseconds ("0": none).
func (s *Store) SetHoldNew(ctx context.Context, p *vote.Poll, until time.Time) (vote.State, error) {
	ms := int64(0)
	if !until.IsZero() {
		ms = until.UnixMilli()
	}
	return s.setState(ctx, p, "hold_new_until", ms)
}

// SetStatus implements Store.
func (s *Store) SetStatus(ctx context.Context, p *vote.Poll, st vote.Status) (vote.State, error) {
	return s.setState(ctx, p, "status", string(st), "audited", 0, "audit_consistent", 0)
}

// SetResults implements Store.
func (s *Store) SetResults(ctx context.Context, p *vote.Poll, v vote.Visibility) (vote.State, error) {
	return s.setState(ctx, p, "results", string(v))
}

// SetDifficulty implements Store.
func (s *Store) SetDifficulty(ctx context.Context, p *vote.Poll, d int) (vote.State, error) {
	return s.setState(ctx, p, "difficulty", d)
}

// SetWithheld implements Store.
func (s *Store) SetWithheld(ctx context.Context, p *vote.Poll, n, before int, at int64) (vote.State, error) {
	return s.setState(ctx, p, "withheld", n, "before", before, "step_at", at)
}

// SetAudited implements Store: the fields audited (Unix milliseconds) and audit_consistent (1 or 0).
func (s *Store) SetAudited(ctx context.Context, p *vote.Poll, at int64, consistent bool) (vote.State, error) {
	ok := 0
	if consistent {
		ok = 1
	}
	return s.setState(ctx, p, "audited", at, "audit_consistent", ok)
}

// SetCorrected implements Store.
func (s *Store) SetCorrected(ctx context.Context, p *vote.Poll, at int64) (vote.State, error) {
	return s.setState(ctx, p, "corrected", at)
}

// Snapshot implements Store. It is one MULTI/EXEC round trip of reads on the poll's node.
func (s *Store) Snapshot(ctx context.Context, p *vote.Poll, now time.Time) (vote.Snapshot, error) {
	k := s.keysOf(p)
	ids := make([]string, len(p.Candidates))
	for i, c := range p.Candidates {
		ids[i] = c.ID
	}
	minute := now.Truncate(time.Minute).Unix()
	var state, totals, tally, buckets *redis.SliceCmd
	var pending *redis.IntCmd
	var fraud *redis.MapStringStringCmd
	var version *redis.StringCmd
	_, err := s.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		state = pipe.HMGet(ctx, k.state, stateFields...)
		totals = pipe.MGet(ctx, k.ballots, k.held, k.void)
		pending = pipe.ZCard(ctx, k.waiting)
		tally = pipe.HMGet(ctx, k.tally, ids...)
		buckets = pipe.HMGet(ctx, k.minutes, strconv.FormatInt(minute, 10), strconv.FormatInt(minute-60, 10))
		fraud = pipe.HGetAll(ctx, k.fraud())
		version = pipe.Get(ctx, k.version) // last: its redis.Nil (no version yet) hides no other error
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return vote.Snapshot{}, vote.Unavailable(err)
	}
	snap := vote.Snapshot{Poll: p.ID, At: now, Tally: make(map[string]int64, len(ids))}
	if snap.State, err = parseState(p, state.Val()); err != nil {
		return vote.Snapshot{}, err
	}
	if snap.Version, err = parseVersion(version); err != nil {
		return vote.Snapshot{}, err
	}
	snap.State.Status, snap.Turn = p.Effective(snap.State.Status, now), p.Turn(snap.State.Status, now)
	var nums []int64
	for _, v := range [][]any{totals.Val(), tally.Val(), buckets.Val()} {
		for _, x := range v {
			n, err := count(x)
			if err != nil {
				return vote.Snapshot{}, err
			}
			nums = append(nums, n)
		}
	}
	if len(nums) != 3+len(ids)+2 {
		return vote.Snapshot{}, vote.Unavailable(fmt.Errorf("poll %s: snapshot: %d numbers, want %d", p.ID, len(nums), 5+len(ids)))
	}
	snap.Ballots, snap.Held, snap.Void, snap.Pending = nums[0], nums[1], nums[2], pending.Val()
	for i, id := range ids {
		snap.Tally[id] = nums[3+i]
	}
	snap.Rate = vote.Rate(now, nums[3+len(ids)], nums[4+len(ids)])
	if snap.Fraud, err = parseFraudCounts(p, fraud.Val()); err != nil {
		return vote.Snapshot{}, err
	}
	return snap, nil
}

// Versions implements Store: a GET, or for several polls a pipeline of a GET per poll (each poll's
// key is in its own slot: on a Redis Cluster the pipeline is one round trip per node, on one
// Redis one round trip).
func (s *Store) Versions(ctx context.Context, polls []*vote.Poll) ([]uint64, error) {
	if len(polls) == 1 { // the common case, a GET without a pipeline's cost
		v, err := parseVersion(s.client.Get(ctx, s.keysOf(polls[0]).version))
		if err != nil {
			return nil, err
		}
		return []uint64{v}, nil
	}
	cmds := make([]*redis.StringCmd, len(polls))
	_, err := s.client.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, p := range polls {
			cmds[i] = pipe.Get(ctx, s.keysOf(p).version)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, vote.Unavailable(err)
	}
	out := make([]uint64, len(polls))
	for i, c := range cmds {
		if out[i], err = parseVersion(c); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// parseVersion reads the reply to GET of a poll's version key: none (redis.Nil) is version 0.
func parseVersion(cmd *redis.StringCmd) (uint64, error) {
	switch err := cmd.Err(); {
	case errors.Is(err, redis.Nil):
		return 0, nil
	case err != nil:
		return 0, vote.Unavailable(err)
	}
	n, err := count(cmd.Val())
	return uint64(n), err
}

// Turnout implements Store. Steps other than a minute and an hour are not kept: no counts.
func (s *Store) Turnout(ctx context.Context, p *vote.Poll, step time.Duration) (map[int64]int64, error) {
	var key string
	switch step {
	case time.Minute:
		key = s.keysOf(p).minutes
	case time.Hour:
		key = s.keysOf(p).hours
	default:
		return map[int64]int64{}, nil
	}
	m, err := s.client.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, vote.Unavailable(err)
	}
	out := make(map[int64]int64, len(m))
	for at, n := range m {
		t, err1 := strconv.ParseInt(at, 10, 64)
		c, err2 := strconv.ParseInt(n, 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, vote.Unavailable(fmt.Errorf("poll %s: turnout: %w", p.ID, err))
		}
		out[t] = c
	}
	return out, nil
}

// VoterBallot implements Store.
func (s *Store) VoterBallot(ctx context.Context, p *vote.Poll, voter, period string) (vote.Receipt, error) {
	id, err := s.client.HGet(ctx, s.keysOf(p).voters, voter+"|"+period).Result()
	if errors.Is(err, redis.Nil) {
		return vote.Receipt{}, vote.ErrReceiptNotFound
	}
	if err != nil {
		return vote.Receipt{}, vote.Unavailable(err)
	}
	return s.Receipt(ctx, p, id)
}

// Receipt implements Store.
func (s *Store) Receipt(ctx context.Context, p *vote.Poll, id string) (vote.Receipt, error) {
	rec, err := s.client.HGet(ctx, s.keysOf(p).receipts, id).Result()
	if errors.Is(err, redis.Nil) {
		return vote.Receipt{}, vote.ErrReceiptNotFound
	}
	if err != nil {
		return vote.Receipt{}, vote.Unavailable(err)
	}
	return parseReceipt(p, id, rec)
}

// parseReceipt reads a receipt record: "<recorded at, Unix ms>|<state>|<choices, comma-joined>".
func parseReceipt(p *vote.Poll, id string, v any) (vote.Receipt, error) {
	rec, _ := v.(string)
	f := strings.SplitN(rec, "|", 3)
	if len(f) != 3 {
		return vote.Receipt{}, vote.Unavailable(fmt.Errorf("poll %s: receipt %s: bad record %q", p.ID, id, rec))
	}
	at, state, choices := f[0], f[1], f[2]
	ms, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return vote.Receipt{}, vote.Unavailable(fmt.Errorf("poll %s: receipt %s: bad record %q", p.ID, id, rec))
	}
	st := vote.BallotState(state)
	r := vote.Receipt{ID: id, Poll: p.ID, RecordedAt: time.UnixMilli(ms).UTC(), State: st, Counted: st.Counts()}
	if choices != "" {
		r.Choices = strings.Split(choices, ",")
	}
	return r, nil
}

// Held implements Store.
func (s *Store) Held(ctx context.Context, p *vote.Poll, limit int) ([]vote.HeldBallot, error) {
	return s.list(ctx, p, s.keysOf(p).pending, limit, false)
}

// Pending implements Store.
func (s *Store) Pending(ctx context.Context, p *vote.Poll, limit int) ([]vote.HeldBallot, error) {
	return s.list(ctx, p, s.keysOf(p).waiting, limit, true)
}

// list reads up to limit held ballots of the sorted set key, oldest first (newest first when rev),
// with why each is held.
func (s *Store) list(ctx context.Context, p *vote.Poll, key string, limit int, rev bool) ([]vote.HeldBallot, error) {
	k := s.keysOf(p)
	read := s.client.ZRange
	if rev {
		read = s.client.ZRevRange
	}
	ids, err := read(ctx, key, 0, int64(limit)-1).Result()
	if err != nil {
		return nil, vote.Unavailable(err)
	}
	if len(ids) == 0 {
		return []vote.HeldBallot{}, nil
	}
	var recs, whys *redis.SliceCmd
	if _, err := s.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		recs, whys = pipe.HMGet(ctx, k.receipts, ids...), pipe.HMGet(ctx, k.why, ids...)
		return nil
	}); err != nil {
		return nil, vote.Unavailable(err)
	}
	out := make([]vote.HeldBallot, 0, len(ids))
	for i, rec := range recs.Val() {
		r, err := parseReceipt(p, ids[i], rec)
		if err != nil {
			return nil, err
		}
		hb := vote.HeldBallot{Receipt: r}
		if why, ok := whys.Val()[i].(string); ok {
			f := strings.SplitN(why, "|", 4)
			if len(f) == 3 { // recorded before groups
				f = []string{f[0], f[1], "", f[2]}
			}
			if len(f) == 4 {
				hb.IP, hb.Subnet, hb.Group = f[0], f[1], f[2]
				var sig []vote.Signal
				for x := range strings.SplitSeq(f[3], ",") {
					if x != "" {
						sig = append(sig, vote.Signal(x))
					}
				}
				hb.Signals = vote.MergeSignals(sig, nil)
			}
		}
		out = append(out, hb)
	}
	return out, nil
}

// review runs the review script (review.lua) for receipts and returns its answers.
func (s *Store) review(ctx context.Context, p *vote.Poll, action string, at time.Time, by string, onlyPending bool,
	signal vote.Signal, receipts []string) ([]string, error) {
	k := s.keysOf(p)
	hour := at.Truncate(time.Hour).Unix()
	keys := []string{k.receipts, k.tally, k.heldTally, k.ballots, k.held, k.minutes, k.hours, k.log, k.pending, k.waiting, k.why,
		k.choices(hour), k.choices(hour - 3600), k.void, k.version}
	only := "0"
	if onlyPending {
		only = "1"
	}
	args := make([]any, 0, 5+len(receipts))
	args = append(args, action, at.UnixMilli(), by, only, string(signal))
	for _, r := range receipts {
		args = append(args, r)
	}
	res, err := s.reviewScript.Run(ctx, s.client, keys, args...).StringSlice()
	if err != nil {
		return nil, vote.Unavailable(err)
	}
	if len(res) != len(receipts) {
		return nil, vote.Unavailable(fmt.Errorf("review script: %d answers for %d receipts", len(res), len(receipts)))
	}
	return res, nil
}

// Review implements Store.
func (s *Store) Review(ctx context.Context, p *vote.Poll, receipt string, release bool, at time.Time) (vote.Receipt, error) {
	state := vote.BallotVoid
	if release {
		state = vote.BallotReleased
	}
	res, err := s.review(ctx, p, string(state), at, "", false, "", []string{receipt})
	if err != nil {
		return vote.Receipt{}, err
	}
	switch res[0] {
	case "missing":
		return vote.Receipt{}, vote.ErrReceiptNotFound
	case "notheld":
		return vote.Receipt{}, vote.ErrNotHeld
	}
	return parseReceipt(p, receipt, res[0])
}

// Release implements Store.
func (s *Store) Release(ctx context.Context, p *vote.Poll, receipts []string, at time.Time) (int, error) {
	if len(receipts) == 0 {
		return 0, nil
	}
	res, err := s.review(ctx, p, string(vote.BallotReleased), at, vote.ReleasedBy, true, "", receipts)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range res {
		if strings.Contains(r, "|") {
			n++
		}
	}
	return n, nil
}

// Keep implements Store.
func (s *Store) Keep(ctx context.Context, p *vote.Poll, receipts []string, signal vote.Signal, at time.Time) error {
	if len(receipts) == 0 {
		return nil
	}
	_, err := s.review(ctx, p, "keep", at, "", true, signal, receipts)
	return err
}

// Log implements Store.
func (s *Store) Log(ctx context.Context, p *vote.Poll, after string, limit int) ([]vote.LogEntry, error) {
	start := "-"
	if after != "" {
		start = "(" + after
	}
	msgs, err := s.client.XRangeN(ctx, s.keysOf(p).log, start, "+", int64(limit)).Result()
	if err != nil {
		return nil, vote.Unavailable(err)
	}
	out := make([]vote.LogEntry, 0, len(msgs))
	for _, m := range msgs {
		field := func(name string) string { v, _ := m.Values[name].(string); return v }
		ms, err := strconv.ParseInt(field("at"), 10, 64)
		if err != nil {
			return nil, vote.Unavailable(fmt.Errorf("poll %s: log entry %s: at %q", p.ID, m.ID, field("at")))
		}
		e := vote.LogEntry{ID: m.ID, Receipt: field("receipt"), At: time.UnixMilli(ms).UTC(), Voter: field("voter"),
			Period: field("period"), State: vote.BallotState(field("state")),
			Action: field("action"), Value: field("value"), Role: field("role"), By: field("by")}
		if c := field("choices"); c != "" {
			e.Choices = strings.Split(c, ",")
		}
		out = append(out, e)
	}
	return out, nil
}

// UseChallenge implements Store.
func (s *Store) UseChallenge(ctx context.Context, p *vote.Poll, challenge string, until time.Time) error {
	fresh, err := s.client.SetNX(ctx, s.keysOf(p).challenge(challenge), "-", challengeTTL(until)).Result()
	if err != nil {
		return vote.Unavailable(err)
	}
	if !fresh {
		return vote.ErrChallengeFailed
	}
	return nil
}

// Ping implements Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return vote.Unavailable(err)
	}
	return nil
}

// Close implements Store.
func (s *Store) Close() error {
	s.batch.close()
	return s.client.Close()
}
