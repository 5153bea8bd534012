package votetest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/livevote/livevote/vote"
)

// contractFraud is the part of Contract about the fraud checks: sources counted in sliding
// windows with their caps, trusted subnets, fraud counters.
func contractFraud(t *testing.T, store func(t *testing.T) vote.Store) {
	ctx := context.Background()
	at := time.Date(2023, 11, 20, 10, 30, 15, 0, time.UTC)
	from := func(ip, subnet string, caps vote.SourceCaps, at time.Time, choices ...string) vote.Ballot {
		return vote.Ballot{Receipt: rand.Text(), Voter: rand.Text(), Choices: choices, At: at,
			Source: vote.Source{IP: ip, Subnet: subnet, Caps: caps}}
	}

	t.Run("sources: counted per IP and subnet, over a soft cap held", func(t *testing.T) {
		s, p := store(t), Poll(t)
		caps := vote.SourceCaps{IPMinute: 2, SubnetHour: 4}
		var got []string
		for i, ip := range []string{"ip1", "ip1", "ip1", "ip2", "ip3"} {
			b := from(ip, "net1", caps, at.Add(time.Duration(i)*time.Second), "a")
			c, err := s.Cast(ctx, p, b)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%v %+v", c.Held, c.Counts))
		}
		want := []string{
			"false {IPMinute:1 IPHour:1 SubnetMinute:1 SubnetHour:1 GroupHour:0}",
			"false {IPMinute:2 IPHour:2 SubnetMinute:2 SubnetHour:2 GroupHour:0}",
			"true {IPMinute:3 IPHour:3 SubnetMinute:3 SubnetHour:3 GroupHour:0}", // over the IP's minute cap
			"false {IPMinute:1 IPHour:1 SubnetMinute:4 SubnetHour:4 GroupHour:0}",
			"true {IPMinute:1 IPHour:1 SubnetMinute:5 SubnetHour:5 GroupHour:0}", // over the subnet's hour cap
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("held and counts:\n got %q\nwant %q", got, want)
		}
		snap, _ := s.Snapshot(ctx, p, at)
		if snap.Ballots != 3 || snap.Held != 2 {
			t.Errorf("ballots %d, held %d; want 3, 2", snap.Ballots, snap.Held)
		}
		if held, _ := s.Held(ctx, p, 10); len(held) != 2 {
			t.Errorf("%d held ballots listed, want 2", len(held))
		}
	})

	t.Run("sources: a ballot held by the caller is held, counted for its source", func(t *testing.T) {
		s, p := store(t), Poll(t)
		b := from("ip1", "net1", vote.SourceCaps{}, at, "b")
		b.Held = true
		got, err := s.Cast(ctx, p, b)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Held || got.Counts.IPMinute != 1 {
			t.Errorf("counted of a held cast = %+v", got)
		}
	})

	t.Run("sources: sliding windows weigh the bucket before", func(t *testing.T) {
		s, p := store(t), Poll(t)
		minute := at.Truncate(time.Minute)
		for _, c := range []struct {
			at   time.Time
			want vote.SourceCounts
		}{
			{minute.Add(10 * time.Second), vote.SourceCounts{IPMinute: 1, IPHour: 1, SubnetMinute: 1, SubnetHour: 1}},
			{minute.Add(20 * time.Second), vote.SourceCounts{IPMinute: 2, IPHour: 2, SubnetMinute: 2, SubnetHour: 2}},
			// next minute, 30 s in: this ballot, and half of the minute before (2 * 0.5)
			{minute.Add(90 * time.Second), vote.SourceCounts{IPMinute: 2, IPHour: 3, SubnetMinute: 2, SubnetHour: 3}},
			// two minutes on: only the minute before (1 * 0.75 + this one)
			{minute.Add(135 * time.Second), vote.SourceCounts{IPMinute: 1, IPHour: 4, SubnetMinute: 1, SubnetHour: 4}},
		} {
			b := from("ip1", "net1", vote.SourceCaps{}, c.at, "a")
			got, err := s.Cast(ctx, p, b)
			if err != nil {
				t.Fatal(err)
			}
			if got.Counts != c.want {
				t.Errorf("counts at %s = %+v, want %+v", c.at.Format(time.TimeOnly), got.Counts, c.want)
			}
		}
	})

	t.Run("sources: the hard cap refuses first and records nothing", func(t *testing.T) {
		s, p := store(t), Poll(t)
		caps := vote.SourceCaps{IPHard: 2}
		for i := range 2 {
			if _, err := s.Cast(ctx, p, from("ip1", "net1", caps, at.Add(time.Duration(i)*time.Second), "a")); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.SetStatus(ctx, p, vote.StatusPaused); err != nil {
			t.Fatal(err)
		}
		capped := from("ip1", "net1", caps, at.Add(time.Minute), "a")
		if _, err := s.Cast(ctx, p, capped); !errors.Is(err, vote.ErrSourceCapped) {
			t.Errorf("third ballot of an IP with hard cap 2, poll paused: %v, want ErrSourceCapped", err)
		}
		if _, err := s.Cast(ctx, p, from("ip2", "net1", caps, at.Add(time.Minute), "a")); !errors.Is(err, vote.ErrVotingClosed) {
			t.Errorf("another IP while paused: %v, want ErrVotingClosed", err)
		}
		if _, err := s.SetStatus(ctx, p, vote.StatusOpen); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Cast(ctx, p, from("ip2", "net1", caps, at.Add(time.Minute), "a")); err != nil {
			t.Errorf("another IP: %v", err)
		}
		if r, _ := s.Sources(ctx, p, at.Add(time.Minute), 5); r.Hour.Ballots != 3 || len(r.Hour.IPs) != 2 || r.Hour.IPs[0] != (vote.SourceCount{Hash: "ip1", Ballots: 2}) {
			t.Errorf("the refused ballot was counted: %+v", r.Hour)
		}
		if snap, _ := s.Snapshot(ctx, p, at); snap.Ballots != 3 {
			t.Errorf("ballots = %d, want 3", snap.Ballots)
		}
	})

	t.Run("sources: a ballot sent again is counted once and reads as recorded", func(t *testing.T) {
		s, p := store(t), Poll(t)
		b := from("ip1", "net1", vote.SourceCaps{IPMinute: 1, IPHard: 1}, at, "a")
		b.Held = true
		var got vote.Counted
		for i := range 2 {
			var err error
			if got, err = s.Cast(ctx, p, b); err != nil {
				t.Fatalf("sending %d: %v", i+1, err)
			}
			if !got.Held {
				t.Errorf("sending %d: not held", i+1)
			}
		}
		if got.Counts != (vote.SourceCounts{}) {
			t.Errorf("counts of a ballot sent again = %+v, want none", got.Counts)
		}
		if r, _ := s.Sources(ctx, p, at, 5); r.Minute.Ballots != 1 {
			t.Errorf("ballots of the minute = %d, want 1", r.Minute.Ballots)
		}
	})

	t.Run("sources: the busiest of the last minute and hour", func(t *testing.T) {
		s, p := store(t), Poll(t)
		for i, src := range [][2]string{{"ipA", "net1"}, {"ipA", "net1"}, {"ipA", "net1"}, {"ipB", "net1"}, {"ipB", "net1"}, {"ipC", "net2"}} {
			if _, err := s.Cast(ctx, p, from(src[0], src[1], vote.SourceCaps{}, at.Add(time.Duration(i)*time.Second), "c")); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Cast(ctx, p, vote.Ballot{Receipt: rand.Text(), Voter: rand.Text(), Choices: []string{"c"}, At: at}); err != nil {
			t.Fatal(err) // no source: not in the report
		}
		r, err := s.Sources(ctx, p, at.Add(10*time.Second), 2)
		if err != nil {
			t.Fatal(err)
		}
		want := "{6 [{ipA 3} {ipB 2}] [{net1 5} {net2 1}]}" // the busiest 2 of each kind
		if got := fmt.Sprint(r.Minute); got != want {
			t.Errorf("last minute = %s, want %s", got, want)
		}
		if got := fmt.Sprint(r.Hour); got != want {
			t.Errorf("last hour = %s, want %s", got, want)
		}
		r, _ = s.Sources(ctx, p, at.Add(3*time.Minute), 2)
		if r.Minute.Ballots != 0 || len(r.Minute.IPs) != 0 || r.Hour.Ballots != 6 {
			t.Errorf("three minutes on: %+v", r)
		}
	})

	t.Run("trusted subnets", func(t *testing.T) {
		s, p := store(t), Poll(t)
		if list, err := s.Trusted(ctx, p); err != nil || list == nil || len(list) != 0 {
			t.Fatalf("Trusted of a new poll = %v, %v", list, err)
		}
		for _, subnet := range []string{"203.0.113.0/24", "198.51.100.7/32", "203.0.113.0/24"} {
			if _, err := s.SetTrusted(ctx, p, subnet, true); err != nil {
				t.Fatal(err)
			}
		}
		list, err := s.SetTrusted(ctx, p, "198.51.100.7/32", false)
		if err != nil || fmt.Sprint(list) != "[203.0.113.0/24]" {
			t.Errorf("after adding two and removing one: %v, %v", list, err)
		}
		if list, _ := s.Trusted(ctx, p); fmt.Sprint(list) != "[203.0.113.0/24]" {
			t.Errorf("Trusted = %v", list)
		}
	})

	t.Run("fraud counters add up and show in the snapshot", func(t *testing.T) {
		s, p := store(t), Poll(t)
		if snap, _ := s.Snapshot(ctx, p, at); snap.Fraud.Results == nil || snap.Fraud.Signals == nil || len(snap.Fraud.Results) != 0 {
			t.Errorf("fraud counters of a new poll = %+v", snap.Fraud)
		}
		for range 2 {
			err := s.AddFraudCounts(ctx, p, vote.FraudCounts{
				Results: map[string]int64{"accepted": 3, "challenge_failed": 1},
				Signals: map[string]int64{"tool_agent": 2},
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AddFraudCounts(ctx, p, vote.FraudCounts{}); err != nil {
			t.Fatal(err)
		}
		snap, err := s.Snapshot(ctx, p, at)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(snap.Fraud) != "{map[accepted:6 challenge_failed:2] map[tool_agent:4]}" {
			t.Errorf("fraud counters = %v", snap.Fraud)
		}
	})
}
