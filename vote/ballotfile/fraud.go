package ballotfile

import (
	"errors"
	"fmt"
	"github.com/livevote/livevote/vote"
	"time"
)

// fileFraud is the `fraud:` block of a poll in the ballot file; absent keys keep the default.
type fileFraud struct {
	Hold            *bool          `yaml:"hold"`
	IPPerMinute     *int64         `yaml:"ip_per_minute"`
	IPPerHour       *int64         `yaml:"ip_per_hour"`
	SubnetPerMinute *int64         `yaml:"subnet_per_minute"`
	SubnetPerHour   *int64         `yaml:"subnet_per_hour"`
	IPHardCap       *int64         `yaml:"ip_hard_cap"`
	MinVoteTime     *time.Duration `yaml:"min_vote_time"`
	VelocityRatio   *float64       `yaml:"velocity_ratio"`
	VelocityMinRate *float64       `yaml:"velocity_min_rate"`
	WeakToHold      *int           `yaml:"weak_signals_to_hold"`
	SkewMinBallots  *int64         `yaml:"skew_min_ballots"`
	SkewAlpha       *float64       `yaml:"skew_alpha"`
}

// policy applies the block to DefaultFraudPolicy() and validates the result.
func (ff *fileFraud) policy() (vote.FraudPolicy, error) {
	fp := vote.DefaultFraudPolicy()
	if ff == nil {
		return fp, nil
	}
	set := func(dst *int64, src *int64, name string) error {
		if src == nil {
			return nil
		}
		if *src < 0 || *src > 1_000_000_000 {
			return fmt.Errorf("fraud: %s: %d must be between 0 (off) and 1000000000", name, *src)
		}
		*dst = *src
		return nil
	}
	if ff.Hold != nil {
		fp.Hold = *ff.Hold
	}
	if err := errors.Join(
		set(&fp.IPPerMinute, ff.IPPerMinute, "ip_per_minute"),
		set(&fp.IPPerHour, ff.IPPerHour, "ip_per_hour"),
		set(&fp.SubnetPerMinute, ff.SubnetPerMinute, "subnet_per_minute"),
		set(&fp.SubnetPerHour, ff.SubnetPerHour, "subnet_per_hour"),
		set(&fp.IPHardCap, ff.IPHardCap, "ip_hard_cap"),
		set(&fp.SkewMinBallots, ff.SkewMinBallots, "skew_min_ballots"),
	); err != nil {
		return fp, err
	}
	if d := ff.MinVoteTime; d != nil {
		if *d < 0 || *d > time.Minute {
			return fp, fmt.Errorf("fraud: min_vote_time: %s must be between 0 (off) and 1m", *d)
		}
		fp.MinVoteTime = *d
	}
	if r := ff.VelocityRatio; r != nil {
		if *r != 0 && (*r < 1 || *r > 1000) {
			return fp, fmt.Errorf("fraud: velocity_ratio: %g must be 0 (off) or between 1 and 1000", *r)
		}
		fp.VelocityRatio = *r
	}
	if r := ff.VelocityMinRate; r != nil {
		if *r < 0 || *r > 1e9 {
			return fp, fmt.Errorf("fraud: velocity_min_rate: %g must be 0 or more (ballots a minute)", *r)
		}
		fp.VelocityMinRate = *r
	}
	if n := ff.WeakToHold; n != nil {
		if *n < 0 || *n > 10 {
			return fp, fmt.Errorf("fraud: weak_signals_to_hold: %d must be between 0 (never) and 10", *n)
		}
		fp.WeakToHold = *n
	}
	if a := ff.SkewAlpha; a != nil {
		if *a <= 0 || *a > 0.01 {
			return fp, fmt.Errorf("fraud: skew_alpha: %g must be above 0 and at most 0.01 (false positives per source and check)", *a)
		}
		fp.SkewAlpha = *a
	}
	return fp, nil
}
