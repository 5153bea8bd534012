package redisstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/livevote/livevote/vote/memstore"
	"github.com/livevote/livevote/vote/redisstore"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/votetest"
)

// A batch of ballots in one cast script answers each ballot as the memory store does when they
// are cast one after the other: the same voter twice, the same attempt twice, a challenge used
// twice, sources counted ballot by ballot up to their soft and hard caps, held ballots, ballots
// without a source. The counters written once per batch add up to the same snapshot.
func TestRedisCastBatchAsOneByOne(t *testing.T) {
	ctx := context.Background()
	at := time.Now().Truncate(time.Minute).Add(20 * time.Second)
	caps := vote.SourceCaps{IPMinute: 3, SubnetHour: 6, IPHard: 5}
	ballot := func(voter, ip string, choices ...string) vote.Ballot {
		b := vote.Ballot{Receipt: rand.Text(), Voter: voter, Choices: choices, At: at}
		if ip != "" {
			b.Source = vote.Source{IP: ip, Subnet: "net1", Group: "grp-" + ip, Caps: caps}
		}
		return b
	}
	challenge := rand.Text()
	var bs []vote.Ballot
	bs = append(bs, ballot("v1", "", "a", "b"))
	bs = append(bs, bs[0])                 // the same attempt again: recorded once, answered ok
	bs = append(bs, ballot("v1", "", "c")) // the same voter: already voted
	withChallenge := ballot("v2", "", "a")
	withChallenge.Challenge, withChallenge.ChallengeUntil = challenge, at.Add(time.Minute)
	replay := ballot("v3", "", "b")
	replay.Challenge, replay.ChallengeUntil = challenge, at.Add(time.Minute)
	bs = append(bs, withChallenge, replay)
	for i := range 7 { // ip1: 3 counted, 2 over the minute cap (held), 2 at the hard cap (refused)
		bs = append(bs, ballot(fmt.Sprint("ip1-", i), "ip1", "c"))
	}
	bs = append(bs, ballot("ip2-0", "ip2", "a"), ballot("ip2-1", "ip2", "b")) // the second over the subnet's cap
	held := ballot("h", "", "b")
	held.Held = true
	bs = append(bs, held, ballot("last", "", "a"))

	mem, p := memstore.New(), votetest.Poll(t, "max_choices: 2")
	red := openRedis(t, votetest.StartRedis(t).URL())
	var want, got []string
	for _, b := range bs {
		c, err := mem.Cast(ctx, p, b)
		want = append(want, answer(err, b, c))
	}
	counted, errs := redisstore.CastTogether(red, p, bs)
	for i, err := range errs {
		got = append(got, answer(err, bs[i], counted[i]))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("ballot %d: batched %q, one by one %q", i, got[i], want[i])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%d answers for %d ballots", len(got), len(want))
	}
	ms, rs := mustSnapshot(t, mem, p), mustSnapshot(t, red, p)
	if ms.Ballots != rs.Ballots || ms.Held != rs.Held || fmt.Sprint(ms.Tally) != fmt.Sprint(rs.Tally) {
		t.Errorf("batched: ballots %d, held %d, tally %v; one by one: %d, %d, %v",
			rs.Ballots, rs.Held, rs.Tally, ms.Ballots, ms.Held, ms.Tally)
	}
	if ms.Ballots != 7 || ms.Held != 4 {
		t.Errorf("ballots %d, held %d; want 7, 4 (the test's arithmetic)", ms.Ballots, ms.Held)
	}
	for _, s := range []vote.Store{mem, red} {
		if log, err := s.Log(ctx, p, "", 100); err != nil || len(log) != 11 {
			t.Errorf("%T: log of %d entries (%v), want 11", s, len(log), err)
		}
		if src, err := s.Sources(ctx, p, at, 10); err != nil || src.Minute.Ballots != 7 {
			t.Errorf("%T: sources %+v (%v), want 7 ballots with a source this minute", s, src.Minute, err)
		}
	}
	// Later batches see what the earlier one counted.
	next := ballot("ip1-next", "ip1", "a")
	if _, errs := redisstore.CastTogether(red, p, []vote.Ballot{next, bs[0]}); !errors.Is(errs[0], vote.ErrSourceCapped) {
		t.Errorf("ip1 in the next batch: %v, want ErrSourceCapped", errs[0])
	}
}

// A batch with hundreds of choice-counter fields (every ballot from a new address, subnet and
// group, choosing every candidate, some held) adds up to what the memory store counts one ballot
// at a time, arrivals included, and so does the next batch of the same sources, which adds to
// the counters the first one wrote.
func TestRedisCastBatchManyFields(t *testing.T) {
	ctx := context.Background()
	at := time.Now().Truncate(time.Minute).Add(20 * time.Second)
	mem, p := memstore.New(), votetest.Poll(t, "max_choices: 3")
	red := openRedis(t, votetest.StartRedis(t).URL())
	var sources []string
	const n = 64 // 3 choices of 3 sources each: 576 fields and a few more
	for i := range n {
		sources = append(sources, fmt.Sprint("ip", i), fmt.Sprint("net", i), fmt.Sprint("grp", i))
	}
	for round := range 2 {
		var batch []vote.Ballot
		for i := range n {
			b := vote.Ballot{Receipt: rand.Text(), Voter: fmt.Sprint("v", round, "-", i), Choices: []string{"a", "b", "c"}, At: at,
				Source: vote.Source{IP: sources[3*i], Subnet: sources[3*i+1], Group: sources[3*i+2]}}
			if i%4 == 0 {
				b.Held = true
			}
			if _, err := mem.Cast(ctx, p, b); err != nil {
				t.Fatal(err)
			}
			batch = append(batch, b)
		}
		_, errs := redisstore.CastTogether(red, p, batch)
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, ballot %d: %v", round, i, err)
			}
		}
		for _, s := range []vote.Store{mem, red} {
			if _, err := s.Choices(ctx, p, at, sources); err != nil {
				t.Fatal(err)
			}
		}
		mc, _ := mem.Choices(ctx, p, at, sources)
		rc, _ := red.Choices(ctx, p, at, sources)
		if fmt.Sprint(mc) != fmt.Sprint(rc) {
			t.Errorf("round %d: choice counts batched %v, one by one %v", round, rc, mc)
		}
		ma, err1 := mem.Arrivals(ctx, p, at.Add(time.Minute), 1)
		ra, err2 := red.Arrivals(ctx, p, at.Add(time.Minute), 1)
		if err := errors.Join(err1, err2); err != nil || fmt.Sprint(ma) != fmt.Sprint(ra) {
			t.Errorf("round %d: arrivals batched %v, one by one %v (%v)", round, ra, ma, err)
		}
		ms, rs := mustSnapshot(t, mem, p), mustSnapshot(t, red, p)
		if ms.Ballots != rs.Ballots || ms.Held != rs.Held || fmt.Sprint(ms.Tally) != fmt.Sprint(rs.Tally) {
			t.Errorf("round %d: batched: ballots %d, held %d, tally %v; one by one: %d, %d, %v",
				round, rs.Ballots, rs.Held, rs.Tally, ms.Ballots, ms.Held, ms.Tally)
		}
	}
}

// answer is what Cast said of b: its error, or its held flag and source counts.
func answer(err error, b vote.Ballot, c vote.Counted) string {
	if err != nil {
		return err.Error()
	}
	if b.Source.IP == "" {
		return "recorded"
	}
	return fmt.Sprintf("held %v %+v", c.Held, c.Counts)
}

// BenchmarkRedisCastBatch casts batches of 32 ballots with sources (new voters) into a private
// Redis with AOF, all from one IP address and group (as from the load tool) or each from its own (as from
// the public), and reports what the cast script costs Redis per ballot (INFO commandstats: the
// script's own time, its commands included) next to the time per batch seen from Go.
func BenchmarkRedisCastBatch(b *testing.B) {
	for _, c := range []struct {
		name             string
		distinct, shared bool
		candidates       int
	}{
		{"one-source", false, false, 1}, {"distinct-sources", true, false, 1}, {"one-source-pending", false, true, 1},
		{"one-source-15-candidates", false, false, 15}, {"distinct-sources-15-candidates", true, false, 15},
	} {
		b.Run(c.name, func(b *testing.B) { benchmarkRedisCastBatch(b, c.distinct, c.shared, c.candidates) })
	}
}

// benchmarkRedisCastBatch casts batches of 32 from one source or each from its own; with shared,
// under the choice test's shared-source hold (one source: every ballot after the first pending,
// the costliest path). The ballots choose one of candidates in turn (the load tool's spread over
// the bench ballot's 15 when 15; the store does not check the ids).
func benchmarkRedisCastBatch(b *testing.B, distinct, shared bool, candidates int) {
	ctx := context.Background()
	srv := votetest.StartRedis(b, "--appendonly", "yes", "--appendfsync", "everysec")
	s, p := openRedis(b, srv.URL()), votetest.Poll(b)
	caps := vote.SourceCaps{IPMinute: 1 << 40, IPHour: 1 << 40, SubnetMinute: 1 << 40, SubnetHour: 1 << 40, Shared: shared}
	const n = 32
	batch := make([]vote.Ballot, n)
	if err := s.Client().ConfigResetStat(ctx).Err(); err != nil {
		b.Fatal(err)
	}
	ballots := 0
	for b.Loop() {
		at := time.Now()
		for i := range batch {
			ip, subnet, group := "ip", "net", "grp"
			if distinct {
				ip, subnet, group = rand.Text(), rand.Text(), rand.Text()
			}
			batch[i] = vote.Ballot{Receipt: rand.Text(), Voter: rand.Text(), Choices: []string{fmt.Sprint("c", (ballots+i)%candidates)}, At: at,
				Source: vote.Source{IP: ip, Subnet: subnet, Group: group, Caps: caps}}
		}
		_, errs := redisstore.CastTogether(s, p, batch)
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		ballots += n
	}
	stats, err := s.Client().Info(ctx, "commandstats").Result()
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.Lines(stats) {
		if rest, ok := strings.CutPrefix(line, "cmdstat_evalsha:"); ok {
			var calls, usec int64
			if _, err := fmt.Sscanf(rest, "calls=%d,usec=%d", &calls, &usec); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(usec)/float64(ballots), "redis-us/ballot")
		}
	}
}
