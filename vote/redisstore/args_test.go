package redisstore

import (
	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/ballotfile"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkCastScriptArgs measures building a ballot's part of the cast script's keys and
// arguments, which runs for every vote.
func BenchmarkCastScriptArgs(b *testing.B) {
	polls, err := ballotfile.Builtin()
	if err != nil {
		b.Fatal(err)
	}
	p := polls[0]
	bl := vote.Ballot{Receipt: "abcdefghijklmnopqrstuvwxyz", Voter: "0123456789abcdef0123456789abcdef",
		Choices: []string{"xianning"}, At: time.Now(), Source: vote.Source{IP: "ipip", Subnet: "netnet"}}
	var s Store
	var c castCall
	b.ReportAllocs()
	for b.Loop() {
		c.set(s.keysOf(p), p, bl)
	}
}

// The cast script binds its arguments to the names of castArgs's layout: the numbers there are
// the Go constants' (a per-ballot field's plus one, Lua counting from 1).
func TestCastScriptLayout(t *testing.T) {
	want := map[string]int{
		"KEYS_HEAD": castKeysHead, "ARGS_HEAD": castArgsHead, "FIELDS": castFields,
		"VOTER_FIELD": castVoterField + 1, "RECEIPT": castReceipt + 1, "AT": castAt + 1, "STATE": castState + 1,
		"VOTER": castVoter + 1, "PERIOD": castPeriod + 1, "CHALLENGE": castChallenge + 1,
		"CHALLENGE_TTL": castChallengeTTL + 1, "CHOICES": castChoices + 1, "IP": castIP + 1, "SUBNET": castSubnet + 1, "GROUP": castGroupHash + 1,
		"MINUTE_WEIGHT": castMinuteWeight + 1, "HOUR_WEIGHT": castHourWeight + 1,
		"IP_MINUTE_CAP": castIPMinuteCap + 1, "IP_HOUR_CAP": castIPHourCap + 1,
		"SUBNET_MINUTE_CAP": castSubnetMinuteCap + 1, "SUBNET_HOUR_CAP": castSubnetHourCap + 1, "IP_HARD_CAP": castIPHardCap + 1,
		"SIGNALS": castSignals + 1, "SHARED": castShared + 1, "HOLD_NEW": castHoldNew + 1,
		"state_key": castKeyState, "voters_key": castKeyVoters, "receipts_key": castKeyReceipts,
		"tally_key": castKeyTally, "heldtally_key": castKeyHeldTally, "ballots_key": castKeyBallots,
		"held_key": castKeyHeld, "minutes_key": castKeyMinutes, "hours_key": castKeyHours, "log_key": castKeyLog,
		"pending_key": castKeyPending, "waiting_key": castKeyWaiting, "why_key": castKeyWhy,
		"choices_key": castKeyChoices, "version_key": castKeyVersion, "ip_minute_key": castKeySources, "grp_hour_key": castKeySources + 8,
		"initial_status": castArgStatus, "minute_bucket": castArgMinute, "hour_bucket": castArgHour,
	}
	got := map[string]int{}
	binding := regexp.MustCompile(`(?m)^local ([A-Za-z_, ]+) = ([A-Z0-9\[\], ]+?)\s*(?:--.*)?$`)
	for _, m := range binding.FindAllStringSubmatch(castScript, -1) {
		names, values := strings.Split(m[1], ", "), strings.Split(m[2], ", ")
		if len(names) != len(values) {
			t.Fatalf("%q: %d names, %d values", m[0], len(names), len(values))
		}
		for i, v := range values {
			v = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(v, "KEYS["), "ARGV["), "]")
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("%q: %v", m[0], err)
			}
			got[names[i]] = n
		}
	}
	for name, n := range want {
		if g, ok := got[name]; !ok || g != n {
			t.Errorf("cast.lua binds %s to %d (bound: %v), want %d", name, g, ok, n)
		}
	}
}
