package vote

import "time"

// Rate estimates ballots received per minute over the minute before now from two minute buckets:
// cur, the bucket now falls in, and prev, the one before it. The part of prev that lies inside the
// last 60 seconds is weighted by its share of that window.
func Rate(now time.Time, cur, prev int64) float64 {
	elapsed := now.Sub(now.Truncate(time.Minute))
	return float64(cur) + float64(prev)*(1-elapsed.Seconds()/60)
}
