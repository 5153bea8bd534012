package hub

import "strconv"

// Audience is who watches a connection's live snapshots, which decides what its messages carry.
type Audience uint8

// The audiences. Public messages carry the tally only while the poll's results are visible to
// the public (vote.Visibility.Public); organiser messages always carry the tally and the number
// of held ballots.
const (
	Public Audience = iota
	Organiser

	numAudiences = 2
)

// String returns "public" or "organiser": fit for a metrics label.
func (a Audience) String() string {
	switch a {
	case Public:
		return "public"
	case Organiser:
		return "organiser"
	}
	return "audience(" + strconv.Itoa(int(a)) + ")"
}

func (a Audience) valid() bool { return a < numAudiences }
