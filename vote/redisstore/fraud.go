package redisstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"github.com/livevote/livevote/vote"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// The fraud keys of poll P (see Store for the others):
//
//	{lv:P}:src:ip:m:T, :src:net:m:T  sorted set  source hash -> ballots recorded in the minute
//	                                 from T (Unix seconds); the net set counts every ballot under
//	                                 the member "" too; each lives for two minutes and a half
//	{lv:P}:src:ip:h:T, :src:net:h:T  the same per hour, living two hours and a half
//	{lv:P}:src:grp:h:T               hash        group hash -> ballots recorded in the hour from
//	                                 T, living two hours and a half from its last new group
//	{lv:P}:trusted                   set          trusted subnets (CIDR prefixes)
//	{lv:P}:fraud                     hash         "result:<result>" and "signal:<signal>" -> count

// heldSource names the poll's ballots held for the organiser in the choice counters (cast.lua
// and review.lua count them; no hash is "!").
const heldSource = "!"

func (k *pollKeys) trusted() string { return k.tag + ":trusted" }
func (k *pollKeys) fraud() string   { return k.tag + ":fraud" }

// Sources implements Store. It is one MULTI/EXEC round trip: for each kind and window, the
// busiest n (n+1 for subnets, which hold the total too) of the current and the previous bucket.
func (s *Store) Sources(ctx context.Context, p *vote.Poll, now time.Time, n int) (vote.SourceReport, error) {
	k := s.keysOf(p)
	type read struct {
		cur, prev    *redis.ZSliceCmd
		total, prev0 *redis.FloatCmd
	}
	var reads [4]read // in the order of windows: ip minute, ip hour, net minute, net hour
	_, err := s.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, w := range vote.SlidingWindows() {
			start := now.Truncate(w.Step).Unix()
			cur, prev := k.sources(w.Kind, w.Step, start), k.sources(w.Kind, w.Step, start-int64(w.Step/time.Second))
			stop := int64(n) - 1
			if w.Kind == "net" {
				stop++
				reads[i].total = pipe.ZScore(ctx, cur, "")
				reads[i].prev0 = pipe.ZScore(ctx, prev, "")
			}
			reads[i].cur = pipe.ZRevRangeWithScores(ctx, cur, 0, stop)
			reads[i].prev = pipe.ZRevRangeWithScores(ctx, prev, 0, stop)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return vote.SourceReport{}, vote.Unavailable(err)
	}
	var out vote.SourceReport
	for i, w := range vote.SlidingWindows() {
		weight := vote.SlidingWeight(now, w.Step)
		est := map[string]float64{}
		for _, z := range reads[i].cur.Val() {
			est[z.Member.(string)] += z.Score
		}
		for _, z := range reads[i].prev.Val() {
			est[z.Member.(string)] += z.Score * weight
		}
		delete(est, "")
		list := make([]vote.SourceCount, 0, len(est))
		for m, c := range est {
			if c := int64(c); c > 0 {
				list = append(list, vote.SourceCount{Hash: m, Ballots: c})
			}
		}
		slices.SortFunc(list, func(a, b vote.SourceCount) int {
			return cmp.Or(cmp.Compare(b.Ballots, a.Ballots), cmp.Compare(a.Hash, b.Hash))
		})
		list = list[:min(n, len(list))]
		win := &out.Minute
		if w.Step == time.Hour {
			win = &out.Hour
		}
		if w.Kind == "ip" {
			win.IPs = list
			continue
		}
		win.Subnets = list
		win.Ballots = int64(reads[i].total.Val() + reads[i].prev0.Val()*weight)
	}
	return out, nil
}

// Choices implements Store. It is one MULTI/EXEC round trip: this hour's and the last hour's
// choice counters of the poll, each source and the poll's held ballots (HMGET), their ballots in
// the hour's source counts (a source is an IP address, a subnet or a group: its hash is in one of
// the address and subnet sets, read with one ZMSCORE each, or the groups' hash, one HMGET; the
// poll's total is the subnet sets' member ""; the held ballots' number is the choice counters'
// field "!|"), and the poll's counted ballots and tally.
func (s *Store) Choices(ctx context.Context, p *vote.Poll, now time.Time, sources []string) (vote.ChoiceCounts, error) {
	k := s.keysOf(p)
	hour := now.Truncate(time.Hour).Unix()
	members := append(append([]string{""}, sources...), heldSource)
	ids := make([]string, len(p.Candidates))
	fields := make([]string, 0, len(members)*len(p.Candidates)+1)
	for i, c := range p.Candidates {
		ids[i] = c.ID
	}
	for _, m := range members {
		for _, id := range ids {
			fields = append(fields, m+"|"+id)
		}
	}
	fields = append(fields, heldSource+"|") // the held ballots' number
	var cur, prev, tally *redis.SliceCmd
	var ballots *redis.StringCmd
	var scores [2][]*redis.FloatSliceCmd // this hour's and the last hour's sets, one per kind
	var groups [2]*redis.SliceCmd        // this hour's and the last hour's groups
	if _, err := s.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		cur, prev = pipe.HMGet(ctx, k.choices(hour), fields...), pipe.HMGet(ctx, k.choices(hour-3600), fields...)
		for j, h := range []int64{hour, hour - 3600} {
			for _, kind := range []string{"ip", "net"} {
				scores[j] = append(scores[j], pipe.ZMScore(ctx, k.sources(kind, time.Hour, h), members...))
			}
			groups[j] = pipe.HMGet(ctx, k.sources("grp", time.Hour, h), members...)
		}
		ballots, tally = pipe.Get(ctx, k.ballots), pipe.HMGet(ctx, k.tally, ids...)
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return vote.ChoiceCounts{}, vote.Unavailable(err)
	}
	w := vote.SlidingWeight(now, time.Hour)
	window := func(c, b float64) int64 { return int64(math.Floor(c + b*w)) }
	out := vote.ChoiceCounts{Sources: make(map[string]vote.ChoiceCount, len(sources))}
	i := 0
	for mi, m := range members {
		var score [2]float64
		for j := range 2 {
			for _, kind := range scores[j] {
				if v := kind.Val(); mi < len(v) {
					score[j] += v[mi]
				}
			}
			more := groups[j].Val()[mi] // a group's ballots, or the held ballots' number
			if m == heldSource {
				more = [2]*redis.SliceCmd{cur, prev}[j].Val()[len(fields)-1]
			}
			n, err := count(more)
			if err != nil {
				return out, err
			}
			score[j] += float64(n)
		}
		cc := vote.ChoiceCount{Ballots: window(score[0], score[1]), Tally: map[string]int64{}}
		for _, c := range p.Candidates {
			a, err1 := count(cur.Val()[i])
			b, err2 := count(prev.Val()[i])
			if err := errors.Join(err1, err2); err != nil {
				return out, err
			}
			if i++; window(float64(a), float64(b)) > 0 {
				cc.Tally[c.ID] = window(float64(a), float64(b))
			}
		}
		switch m {
		case "":
			out.Poll = cc
		case heldSource:
			out.Held = cc
		default:
			out.Sources[m] = cc
		}
	}
	out.Total.Tally = map[string]int64{}
	if v, err := ballots.Result(); err == nil { // redis.Nil: none counted yet
		if out.Total.Ballots, err = count(v); err != nil {
			return out, err
		}
	}
	for j, v := range tally.Val() {
		n, err := count(v)
		if err != nil {
			return out, err
		}
		if n > 0 {
			out.Total.Tally[ids[j]] = n
		}
	}
	return out, nil
}

// Arrivals implements Store: one HMGET per hour the minutes fall in (two at most), of the
// minutes' fields of the hour's choice counters (cast.lua counts them).
func (s *Store) Arrivals(ctx context.Context, p *vote.Poll, now time.Time, minutes int) ([]vote.Arrivals, error) {
	k := s.keysOf(p)
	minutes = min(max(minutes, 0), 60)
	last := now.Truncate(time.Minute)
	type read struct {
		fields []string
		cmd    *redis.SliceCmd
	}
	hours := map[int64]*read{}
	var order []int64
	field := func(kind string, at time.Time, c string) string {
		return kind + strconv.FormatInt(at.Unix(), 10) + "|" + c
	}
	for i := minutes - 1; i >= 0; i-- {
		at := last.Add(-time.Duration(i) * time.Minute)
		h := at.Truncate(time.Hour).Unix()
		r := hours[h]
		if r == nil {
			r = &read{}
			hours[h] = r
			order = append(order, h)
		}
		for _, kind := range []string{"m", "n"} {
			r.fields = append(r.fields, field(kind, at, ""))
			for _, c := range p.Candidates {
				r.fields = append(r.fields, field(kind, at, c.ID))
			}
		}
	}
	if len(order) > 0 {
		if _, err := s.client.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for _, h := range order {
				hours[h].cmd = pipe.HMGet(ctx, k.choices(h), hours[h].fields...)
			}
			return nil
		}); err != nil && !errors.Is(err, redis.Nil) {
			return nil, vote.Unavailable(err)
		}
	}
	got := map[string]int64{}
	for _, r := range hours {
		for j, v := range r.cmd.Val() {
			n, err := count(v)
			if err != nil {
				return nil, err
			}
			got[r.fields[j]] = n
		}
	}
	out := make([]vote.Arrivals, 0, minutes)
	for i := minutes - 1; i >= 0; i-- {
		at := last.Add(-time.Duration(i) * time.Minute)
		a := vote.Arrivals{Minute: at, All: vote.ChoiceCount{Tally: map[string]int64{}}, New: vote.ChoiceCount{Tally: map[string]int64{}}}
		for kind, cc := range map[string]*vote.ChoiceCount{"m": &a.All, "n": &a.New} {
			cc.Ballots = got[field(kind, at, "")]
			for _, c := range p.Candidates {
				if n := got[field(kind, at, c.ID)]; n > 0 {
					cc.Tally[c.ID] = n
				}
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// Trusted implements Store.
func (s *Store) Trusted(ctx context.Context, p *vote.Poll) ([]string, error) {
	list, err := s.client.SMembers(ctx, s.keysOf(p).trusted()).Result()
	if err != nil {
		return nil, vote.Unavailable(err)
	}
	slices.Sort(list)
	return list, nil
}

// SetTrusted implements Store.
func (s *Store) SetTrusted(ctx context.Context, p *vote.Poll, subnet string, trusted bool) ([]string, error) {
	key := s.keysOf(p).trusted()
	var list *redis.StringSliceCmd
	_, err := s.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		if trusted {
			pipe.SAdd(ctx, key, subnet)
		} else {
			pipe.SRem(ctx, key, subnet)
		}
		list = pipe.SMembers(ctx, key)
		return nil
	})
	if err != nil {
		return nil, vote.Unavailable(err)
	}
	out := list.Val()
	slices.Sort(out)
	return out, nil
}

// AddFraudCounts implements Store.
func (s *Store) AddFraudCounts(ctx context.Context, p *vote.Poll, c vote.FraudCounts) error {
	if len(c.Results)+len(c.Signals) == 0 {
		return nil
	}
	k := s.keysOf(p)
	key := k.fraud()
	_, err := s.client.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		for prefix, m := range map[string]map[string]int64{"result:": c.Results, "signal:": c.Signals} {
			for name, n := range m {
				if n != 0 {
					pipe.HIncrBy(ctx, key, prefix+name, n)
				}
			}
		}
		pipe.Incr(ctx, k.version)
		return nil
	})
	if err != nil {
		return vote.Unavailable(err)
	}
	return nil
}

// parseFraudCounts reads the fraud hash (HGETALL).
func parseFraudCounts(p *vote.Poll, h map[string]string) (vote.FraudCounts, error) {
	c := vote.FraudCounts{Results: map[string]int64{}, Signals: map[string]int64{}}
	for field, v := range h {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return c, vote.Unavailable(fmt.Errorf("poll %s: fraud counter %s: %q", p.ID, field, v))
		}
		if name, ok := strings.CutPrefix(field, "result:"); ok {
			c.Results[name] = n
		} else if name, ok := strings.CutPrefix(field, "signal:"); ok {
			c.Signals[name] = n
		}
	}
	return c, nil
}
