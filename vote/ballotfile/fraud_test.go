package ballotfile_test

import (
	"github.com/livevote/livevote/vote/ballotfile"
	"strings"
	"testing"
	"time"

	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/votetest"
)

func TestFraudPolicyFromBallotFile(t *testing.T) {
	if polls, _ := ballotfile.Builtin(); polls[0].Fraud != vote.DefaultFraudPolicy() {
		t.Errorf("built-in poll (no fraud block): %+v, want the default", polls[0].Fraud)
	}
	if p := votetest.Poll(t, "fraud: {}"); p.Fraud != vote.DefaultFraudPolicy() {
		t.Errorf("empty fraud block: %+v, want the default", p.Fraud)
	}
	p := votetest.Poll(t, "fraud: {hold: false, ip_per_minute: 0, subnet_per_hour: 5000, ip_hard_cap: 300, min_vote_time: 1500ms, velocity_ratio: 8, weak_signals_to_hold: 3, skew_min_ballots: 30, skew_alpha: 1e-5}")
	want := vote.DefaultFraudPolicy()
	want.Hold, want.IPPerMinute, want.SubnetPerHour, want.IPHardCap = false, 0, 5000, 300
	want.MinVoteTime, want.VelocityRatio, want.WeakToHold = 1500*time.Millisecond, 8, 3
	want.SkewMinBallots, want.SkewAlpha = 30, 1e-5
	if p.Fraud != want {
		t.Errorf("fraud block:\n got %+v\nwant %+v", p.Fraud, want)
	}
	for _, tt := range []struct{ block, want string }{
		{"{ip_per_minute: -1}", "fraud: ip_per_minute"},
		{"{ip_hard_cap: -3}", "fraud: ip_hard_cap"},
		{"{min_vote_time: 2h}", "fraud: min_vote_time"},
		{"{min_vote_time: soon}", "soon"},
		{"{velocity_ratio: 0.5}", "fraud: velocity_ratio"},
		{"{velocity_min_rate: -1}", "fraud: velocity_min_rate"},
		{"{weak_signals_to_hold: 11}", "fraud: weak_signals_to_hold"},
		{"{hold_everything: true}", "hold_everything"},
		{"{skew_min_ballots: -1}", "fraud: skew_min_ballots"},
		{"{skew_alpha: 0.5}", "fraud: skew_alpha"},
		{"{skew_alpha: 0}", "fraud: skew_alpha"},
	} {
		_, err := ballotfile.Parse([]byte(votetest.PollYAML("fraud: "+tt.block)), "polls.yaml")
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "polls.yaml: ") {
			t.Errorf("fraud %s: %v, want an error naming %q", tt.block, err, tt.want)
		}
	}
}
