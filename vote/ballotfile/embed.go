package ballotfile

import (
	"fmt"
	"regexp"
	"slices"
)

// embed_sites lists the sites whose pages may show the poll's ballot in a frame (the snippet in the
// README), as origins:
//
//	embed_sites: ["https://www.uclg.org", "https://*.metropolis.org"]
//
// They become the ballot page's Content-Security-Policy frame-ancestors; every other page, and
// the ballot of a poll without embed_sites, may not be framed by any site.

// sitePattern is an origin as frame-ancestors takes it: a scheme, a host (its leftmost label may be
// *) and an optional port; no path, no quote, no space (which would add directives of their own).
var sitePattern = regexp.MustCompile(`^https?://(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]{1,5})?$`)

// embedSites checks the sites allowed to frame the ballot.
func embedSites(sites []string) ([]string, error) {
	for i, s := range sites {
		if !sitePattern.MatchString(s) {
			return nil, fmt.Errorf("embed_sites: %q must be an origin in lowercase, as https://partner.example.org or https://*.example.org (no path)", s)
		}
		if slices.Contains(sites[:i], s) {
			return nil, fmt.Errorf("embed_sites: %q named twice", s)
		}
	}
	return slices.Clone(sites), nil
}
