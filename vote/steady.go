package vote

import "time"

// Steady reports whether s, read at s.At, shows at now what a snapshot read at now would, as long
// as the poll's version is still s.Version (Snapshots.Versions): whether nothing in it changes with
// time alone between At and now. Time alone moves three things: the rate, while its sliding
// window holds a ballot (Rate is not 0; a Rate of 0 stays 0 until a ballot is cast, which moves the
// version); the places the public sees, when the grace of a reveal step ends (PublicWithheld); and
// the status, when the schedule opens or closes the poll (Turn). The time a snapshot was read (At,
// the "at" of a live message) changes too, and is not content.
func (s Snapshot) Steady(now time.Time) bool {
	if s.Rate != 0 || !s.Turn.IsZero() && !now.Before(s.Turn) {
		return false
	}
	later := s
	later.At = now
	return later.PublicWithheld() == s.PublicWithheld()
}
