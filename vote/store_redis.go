package vote

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

//go:embed store_redis_cast.lua
var castScript string

//go:embed store_redis_review.lua
var reviewScript string

// Connection defaults of OpenRedis, used where the spec does not set them: a Redis that does not
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

// RedisStore is the Store for any number of instances sharing one Redis or a Redis Cluster.
//
// Every key of poll P carries the hash tag {lv:P}, so a poll lives on one cluster node and a Cast
// is one script there:
//
//	{lv:P}:state      hash   status, results, difficulty (a missing field reads as P's Initial)
//	{lv:P}:voters     hash   voter|period -> receipt id
//	{lv:P}:receipts   hash   receipt id -> "<recorded at, Unix ms>|counted or held|<choices a,b>"
//	{lv:P}:tally      hash   candidate -> counted choices
//	{lv:P}:heldtally  hash   candidate -> held choices
//	{lv:P}:ballots    string counted ballots
//	{lv:P}:held       string held ballots
//	{lv:P}:m, :h      hash   minute / hour start (Unix seconds) -> counted ballots
//	{lv:P}:log        stream one entry per ballot: receipt, at (Unix ms), voter (the keyed hash),
//	                         period, choices (a,b), state (counted or held)
//	{lv:P}:pow:C      string used challenge C (value: the receipt that used it, or "-"), expires
//
// Cast is one Lua script, shared by the casts of one poll and minute sent together
// (store_redis_batch.go), run with EVALSHA (falling back to EVAL when Redis lost its script cache
// to a restart, a failover or SCRIPT FLUSH); it is idempotent for a receipt, so a command the client
// library sends again after a lost reply never counts a ballot twice nor reports a recorded
// ballot as refused. Any failure to get an answer from Redis wraps ErrUnavailable.
type RedisStore struct {
	client redis.UniversalClient
	cast   *redis.Script
	review *redis.Script
	batch  castBatcher   // sends Cast scripts in pipelines (store_redis_batch.go)
	errs   atomic.Uint64 // failed commands (store_redis_errors.go)
}

var _ Store = (*RedisStore)(nil)

// OpenRedis connects to Redis and checks that it answers. spec is either a URL (redis://,
// rediss:// or unix://, with go-redis options as query parameters, e.g. ?read_timeout=2s) for one
// Redis, or a comma-separated list of host:port seed nodes of a Redis Cluster (one address is a
// cluster seed too). When Redis does not answer, the error wraps ErrUnavailable; a malformed spec
// is an error of its own.
func OpenRedis(ctx context.Context, spec string) (*RedisStore, error) {
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
	s := &RedisStore{client: client, cast: redis.NewScript(castScript), review: redis.NewScript(reviewScript)}
	client.AddHook(errorHook{&s.errs})
	if err := s.Ping(ctx); err != nil {
		_ = client.Close()
		return nil, err
	}
	return s, nil
}

func orDefault[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// Client returns the go-redis client the store uses, for what the Store interface does not cover
// (pool statistics for metrics, tests). Closing it closes the store.
func (s *RedisStore) Client() redis.UniversalClient { return s.client }

// pollKeys are the keys of one poll (see RedisStore).
type pollKeys struct {
	tag                                                      string
	state, voters, receipts, tally, heldTally, ballots, held string
	minutes, hours, log, pending                             string

	windows atomic.Pointer[sourceWindows] // the last source keys of the cast script
}

// keysOf returns the keys of p, built once per poll (the vote path needs them for every ballot).
func keysOf(p *Poll) *pollKeys {
	if k := p.redisKeys.Load(); k != nil {
		return k
	}
	t := "{lv:" + p.ID + "}"
	k := &pollKeys{
		tag: t, state: t + ":state", voters: t + ":voters", receipts: t + ":receipts",
		tally: t + ":tally", heldTally: t + ":heldtally", ballots: t + ":ballots", held: t + ":held",
		minutes: t + ":m", hours: t + ":h", log: t + ":log", pending: t + ":pending",
	}
	p.redisKeys.Store(k)
	return k
}

// sourceWindows are the eight source keys of the cast script for one minute and hour bucket.
type sourceWindows struct {
	minute, hour int64
	keys         [8]string
}

// sourceKeys returns the source keys of the cast script for the buckets starting at minute and
// hour (Unix seconds); they change once a minute, so the last set is kept.
func (k *pollKeys) sourceKeys(minute, hour int64) *[8]string {
	if w := k.windows.Load(); w != nil && w.minute == minute && w.hour == hour {
		return &w.keys
	}
	w := &sourceWindows{minute: minute, hour: hour, keys: [8]string{
		k.sources("ip", time.Minute, minute), k.sources("ip", time.Minute, minute-60),
		k.sources("net", time.Minute, minute), k.sources("net", time.Minute, minute-60),
		k.sources("ip", time.Hour, hour), k.sources("ip", time.Hour, hour-3600),
		k.sources("net", time.Hour, hour), k.sources("net", time.Hour, hour-3600),
	}}
	k.windows.Store(w)
	return &w.keys
}

func (k *pollKeys) challenge(c string) string { return k.tag + ":pow:" + c }

// sources is the key of the sorted set of the sources of kind ("ip" or "net") in the bucket of
// length step (a minute or an hour) that starts at start (Unix seconds).
func (k *pollKeys) sources(kind string, step time.Duration, start int64) string {
	w := ":m:"
	if step == time.Hour {
		w = ":h:"
	}
	return k.tag + ":src:" + kind + w + strconv.FormatInt(start, 10)
}

// challengeTTL is how long a used challenge is kept: until it expires, and a second at least.
func challengeTTL(until time.Time) time.Duration {
	return max(time.Until(until), time.Second)
}

// Cast implements Store.
func (s *RedisStore) Cast(ctx context.Context, p *Poll, b Ballot) error {
	res, err := s.batch.run(ctx, s, p, b)
	if err != nil {
		return errUnavailable(err)
	}
	return castReply(res, b)
}

// castReply turns the cast script's answer for ballot b into Cast's result, and fills in
// b.Source's counts and held flag.
func castReply(res string, b Ballot) error {
	word, counts, _ := strings.Cut(res, " ")
	switch word {
	case "ok", "held":
		if b.Source != nil {
			b.Source.Held = word == "held"
			b.Source.Counts = SourceCounts{}
			if counts != "" {
				c := &b.Source.Counts
				for _, n := range []*int64{&c.IPMinute, &c.IPHour, &c.SubnetMinute, &c.SubnetHour} {
					var field string
					field, counts, _ = strings.Cut(counts, " ")
					v, err := strconv.ParseInt(field, 10, 64)
					if err != nil {
						return errUnavailable(fmt.Errorf("cast script answered %q: %w", res, err))
					}
					*n = v
				}
			}
		}
		return nil
	case "capped":
		return ErrSourceCapped
	case "closed":
		return ErrVotingClosed
	case "challenge":
		return ErrChallengeFailed
	case "voted":
		return ErrAlreadyVoted
	}
	return errUnavailable(fmt.Errorf("cast script answered %q", res))
}

var stateFields = []string{"status", "results", "difficulty"}

// parseState reads the reply to HMGET state stateFields; a missing field is p.Initial's.
func parseState(p *Poll, v []any) (State, error) {
	s := p.Initial
	if len(v) != len(stateFields) {
		return s, errUnavailable(fmt.Errorf("poll %s: state: %d fields, want %d", p.ID, len(v), len(stateFields)))
	}
	if st, ok := v[0].(string); ok {
		s.Status = Status(st)
	}
	if r, ok := v[1].(string); ok {
		s.Results = Visibility(r)
	}
	if d, ok := v[2].(string); ok {
		n, err := strconv.Atoi(d)
		if err != nil {
			return s, errUnavailable(fmt.Errorf("poll %s: state: difficulty %q: %w", p.ID, d, err))
		}
		s.Difficulty = n
	}
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
			return 0, errUnavailable(fmt.Errorf("counter %q: %w", v, err))
		}
		return n, nil
	case int64:
		return v, nil
	}
	return 0, errUnavailable(fmt.Errorf("counter of type %T", v))
}

// State implements Store.
func (s *RedisStore) State(ctx context.Context, p *Poll) (State, error) {
	v, err := s.client.HMGet(ctx, keysOf(p).state, stateFields...).Result()
	if err != nil {
		return State{}, errUnavailable(err)
	}
	return parseState(p, v)
}

// setState sets one field of the poll's state and reads the whole state back in one transaction.
func (s *RedisStore) setState(ctx context.Context, p *Poll, field string, value any) (State, error) {
	k := keysOf(p)
	var get *redis.SliceCmd
	_, err := s.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.HSet(ctx, k.state, field, value)
		get = pipe.HMGet(ctx, k.state, stateFields...)
		return nil
	})
	if err != nil {
		return State{}, errUnavailable(err)
	}
	return parseState(p, get.Val())
}

// SetStatus implements Store.
func (s *RedisStore) SetStatus(ctx context.Context, p *Poll, st Status) (State, error) {
	return s.setState(ctx, p, "status", string(st))
}

// SetResults implements Store.
func (s *RedisStore) SetResults(ctx context.Context, p *Poll, v Visibility) (State, error) {
	return s.setState(ctx, p, "results", string(v))
}

// SetDifficulty implements Store.
func (s *RedisStore) SetDifficulty(ctx context.Context, p *Poll, d int) (State, error) {
	return s.setState(ctx, p, "difficulty", d)
}

// Snapshot implements Store. It is one MULTI/EXEC round trip of reads on the poll's node.
func (s *RedisStore) Snapshot(ctx context.Context, p *Poll, now time.Time) (Snapshot, error) {
	k := keysOf(p)
	ids := make([]string, len(p.Candidates))
	for i, c := range p.Candidates {
		ids[i] = c.ID
	}
	minute := now.Truncate(time.Minute).Unix()
	var state, totals, tally, buckets *redis.SliceCmd
	var fraud *redis.MapStringStringCmd
	_, err := s.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		state = pipe.HMGet(ctx, k.state, stateFields...)
		totals = pipe.MGet(ctx, k.ballots, k.held)
		tally = pipe.HMGet(ctx, k.tally, ids...)
		buckets = pipe.HMGet(ctx, k.minutes, strconv.FormatInt(minute, 10), strconv.FormatInt(minute-60, 10))
		fraud = pipe.HGetAll(ctx, k.fraud())
		return nil
	})
	if err != nil {
		return Snapshot{}, errUnavailable(err)
	}
	snap := Snapshot{Poll: p.ID, At: now, Tally: make(map[string]int64, len(ids))}
	if snap.State, err = parseState(p, state.Val()); err != nil {
		return Snapshot{}, err
	}
	snap.State.Status = p.Effective(snap.State.Status, now)
	var nums []int64
	for _, v := range [][]any{totals.Val(), tally.Val(), buckets.Val()} {
		for _, x := range v {
			n, err := count(x)
			if err != nil {
				return Snapshot{}, err
			}
			nums = append(nums, n)
		}
	}
	if len(nums) != 2+len(ids)+2 {
		return Snapshot{}, errUnavailable(fmt.Errorf("poll %s: snapshot: %d numbers, want %d", p.ID, len(nums), 4+len(ids)))
	}
	snap.Ballots, snap.Held = nums[0], nums[1]
	for i, id := range ids {
		snap.Tally[id] = nums[2+i]
	}
	snap.Rate = Rate(now, nums[2+len(ids)], nums[3+len(ids)])
	if snap.Fraud, err = parseFraudCounts(p, fraud.Val()); err != nil {
		return Snapshot{}, err
	}
	return snap, nil
}

// Turnout implements Store. Steps other than a minute and an hour are not kept: no counts.
func (s *RedisStore) Turnout(ctx context.Context, p *Poll, step time.Duration) (map[int64]int64, error) {
	var key string
	switch step {
	case time.Minute:
		key = keysOf(p).minutes
	case time.Hour:
		key = keysOf(p).hours
	default:
		return map[int64]int64{}, nil
	}
	m, err := s.client.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, errUnavailable(err)
	}
	out := make(map[int64]int64, len(m))
	for at, n := range m {
		t, err1 := strconv.ParseInt(at, 10, 64)
		c, err2 := strconv.ParseInt(n, 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, errUnavailable(fmt.Errorf("poll %s: turnout: %w", p.ID, err))
		}
		out[t] = c
	}
	return out, nil
}

// VoterBallot implements Store.
func (s *RedisStore) VoterBallot(ctx context.Context, p *Poll, voter, period string) (Receipt, error) {
	id, err := s.client.HGet(ctx, keysOf(p).voters, voter+"|"+period).Result()
	if errors.Is(err, redis.Nil) {
		return Receipt{}, ErrReceiptNotFound
	}
	if err != nil {
		return Receipt{}, errUnavailable(err)
	}
	return s.Receipt(ctx, p, id)
}

// Receipt implements Store.
func (s *RedisStore) Receipt(ctx context.Context, p *Poll, id string) (Receipt, error) {
	rec, err := s.client.HGet(ctx, keysOf(p).receipts, id).Result()
	if errors.Is(err, redis.Nil) {
		return Receipt{}, ErrReceiptNotFound
	}
	if err != nil {
		return Receipt{}, errUnavailable(err)
	}
	return parseReceipt(p, id, rec)
}

// parseReceipt reads a receipt record: "<recorded at, Unix ms>|<state>|<choices, comma-joined>".
func parseReceipt(p *Poll, id string, v any) (Receipt, error) {
	rec, _ := v.(string)
	f := strings.SplitN(rec, "|", 3)
	if len(f) != 3 {
		return Receipt{}, errUnavailable(fmt.Errorf("poll %s: receipt %s: bad record %q", p.ID, id, rec))
	}
	at, state, choices := f[0], f[1], f[2]
	ms, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return Receipt{}, errUnavailable(fmt.Errorf("poll %s: receipt %s: bad record %q", p.ID, id, rec))
	}
	st := BallotState(state)
	r := Receipt{ID: id, Poll: p.ID, RecordedAt: time.UnixMilli(ms).UTC(), State: st, Counted: st.Counts()}
	if choices != "" {
		r.Choices = strings.Split(choices, ",")
	}
	return r, nil
}

// Held implements Store.
func (s *RedisStore) Held(ctx context.Context, p *Poll, limit int) ([]Receipt, error) {
	k := keysOf(p)
	ids, err := s.client.ZRange(ctx, k.pending, 0, int64(limit)-1).Result()
	if err != nil {
		return nil, errUnavailable(err)
	}
	if len(ids) == 0 {
		return []Receipt{}, nil
	}
	recs, err := s.client.HMGet(ctx, k.receipts, ids...).Result()
	if err != nil {
		return nil, errUnavailable(err)
	}
	out := make([]Receipt, 0, len(ids))
	for i, rec := range recs {
		r, err := parseReceipt(p, ids[i], rec)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// Review implements Store.
func (s *RedisStore) Review(ctx context.Context, p *Poll, receipt string, release bool, at time.Time) (Receipt, error) {
	k := keysOf(p)
	state := BallotVoid
	if release {
		state = BallotReleased
	}
	keys := []string{k.receipts, k.tally, k.heldTally, k.ballots, k.held, k.minutes, k.hours, k.log, k.pending}
	res, err := s.review.Run(ctx, s.client, keys, receipt, string(state), at.UnixMilli()).Text()
	if err != nil {
		return Receipt{}, errUnavailable(err)
	}
	switch res {
	case "missing":
		return Receipt{}, ErrReceiptNotFound
	case "notheld":
		return Receipt{}, ErrNotHeld
	}
	return parseReceipt(p, receipt, res)
}

// Log implements Store.
func (s *RedisStore) Log(ctx context.Context, p *Poll, after string, limit int) ([]LogEntry, error) {
	start := "-"
	if after != "" {
		start = "(" + after
	}
	msgs, err := s.client.XRangeN(ctx, keysOf(p).log, start, "+", int64(limit)).Result()
	if err != nil {
		return nil, errUnavailable(err)
	}
	out := make([]LogEntry, 0, len(msgs))
	for _, m := range msgs {
		field := func(name string) string { v, _ := m.Values[name].(string); return v }
		ms, err := strconv.ParseInt(field("at"), 10, 64)
		if err != nil {
			return nil, errUnavailable(fmt.Errorf("poll %s: log entry %s: at %q", p.ID, m.ID, field("at")))
		}
		e := LogEntry{ID: m.ID, Receipt: field("receipt"), At: time.UnixMilli(ms).UTC(), Voter: field("voter"),
			Period: field("period"), State: BallotState(field("state")),
			Action: field("action"), Value: field("value"), Role: field("role")}
		if c := field("choices"); c != "" {
			e.Choices = strings.Split(c, ",")
		}
		out = append(out, e)
	}
	return out, nil
}

// UseChallenge implements Store.
func (s *RedisStore) UseChallenge(ctx context.Context, p *Poll, challenge string, until time.Time) error {
	fresh, err := s.client.SetNX(ctx, keysOf(p).challenge(challenge), "-", challengeTTL(until)).Result()
	if err != nil {
		return errUnavailable(err)
	}
	if !fresh {
		return ErrChallengeFailed
	}
	return nil
}

// Ping implements Store.
func (s *RedisStore) Ping(ctx context.Context) error {
	if err := s.client.Ping(ctx).Err(); err != nil {
		return errUnavailable(err)
	}
	return nil
}

// Close implements Store.
func (s *RedisStore) Close() error {
	s.batch.close()
	return s.client.Close()
}
