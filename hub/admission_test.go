package hub_test

import (
	"net/netip"
	"testing"

	"github.com/livevote/livevote/hub"
)

// Admission shares the connections as Limits says: a source up to its allowance (unless exempt),
// the public up to the reserve, the reserved pool up to the whole; Check takes no slot, and a
// released slot is free again. Step by step, each with the refusal it wants ("" admitted).
func TestAdmission(t *testing.T) {
	h, err := hub.New(newFakeSource(), hub.Options{Limits: hub.Limits{MaxConns: 4, Reserved: 1, PerSource: 2}})
	if err != nil {
		t.Fatal(err)
	}
	a, b := netip.MustParsePrefix("198.51.100.1/32"), netip.MustParsePrefix("2001:db8::/64")
	public := func(src netip.Prefix) hub.Ticket { return hub.Ticket{Audience: hub.Public, Source: src} }
	venue := hub.Ticket{Audience: hub.Public, Source: a, Exempt: true}
	screen := hub.Ticket{Audience: hub.Public, Reserved: true, Source: a}

	var releases []func()
	for i, step := range []struct {
		t    hub.Ticket
		want string
	}{
		{public(a), ""},
		{public(a), ""},
		{public(a), hub.RefusedSource},   // a's allowance of 2 is taken
		{venue, ""},                      // exempt: no allowance; the public's 3 are taken
		{public(b), hub.RefusedReserved}, // the last one is kept for the reserved pool
		{screen, ""},
		{screen, hub.RefusedFull},
	} {
		if got := h.Check(step.t); got != step.want {
			t.Fatalf("step %d: Check = %q, want %q", i, got, step.want)
		}
		release, got := h.Enter(step.t)
		if got != step.want || (release == nil) != (step.want != "") {
			t.Fatalf("step %d: Enter = %q (release %v), want %q", i, got, release != nil, step.want)
		}
		if release != nil {
			releases = append(releases, release)
		}
	}
	releases[0]() // one of a's
	if got := h.Check(public(b)); got != "" {
		t.Errorf("after a release: Check = %q for another source, want it admitted", got)
	}
}

// A reserve that leaves the public nothing is a configuration error; zero values take the
// defaults (a reserve of 1 % of DefaultMaxConns, at most 100).
func TestAdmissionLimits(t *testing.T) {
	if _, err := hub.New(newFakeSource(), hub.Options{Limits: hub.Limits{MaxConns: 10, Reserved: 10}}); err == nil {
		t.Error("New accepted 10 reserved connections of 10")
	}
	h, err := hub.New(newFakeSource(), hub.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var releases []func()
	public := hub.DefaultMaxConns - min(hub.DefaultMaxConns/100, 100)
	for range public {
		release, reason := h.Enter(hub.Ticket{Audience: hub.Public, Exempt: true})
		if reason != "" {
			t.Fatalf("refused %q after %d public connections, want %d admitted", reason, len(releases), public)
		}
		releases = append(releases, release)
	}
	if got := h.Check(hub.Ticket{Audience: hub.Public, Exempt: true}); got != hub.RefusedReserved {
		t.Errorf("Check = %q with the public's share taken, want %q", got, hub.RefusedReserved)
	}
	for _, r := range releases {
		r()
	}
}
