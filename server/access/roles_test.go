package access_test

import (
	"errors"
	"testing"

	"github.com/livevote/livevote/server/access"
)

// TestRights: the organiser may do everything, the auditor read, the operator and a screen token
// set the results; the public nothing, and Authorise tells "no role" (401) from "not this
// role's right" (403).
func TestRights(t *testing.T) {
	rights := map[access.Role][]access.Right{
		access.RoleOrganiser: {access.RightRead, access.RightResults, access.RightChange},
		access.RoleAuditor:   {access.RightRead},
		access.RoleOperator:  {access.RightResults},
		access.RoleScreen:    {access.RightResults},
		access.RolePublic:    nil,
	}
	for r, has := range rights {
		for _, x := range []access.Right{access.RightRead, access.RightResults, access.RightChange} {
			want := false
			for _, h := range has {
				want = want || h == x
			}
			if r.Can(x) != want {
				t.Errorf("%s can %d = %v, want %v", r, x, r.Can(x), want)
			}
			var wantErr error
			switch {
			case want:
			case r == access.RolePublic:
				wantErr = access.ErrUnauthorized
			default:
				wantErr = access.ErrForbidden
			}
			if err := access.Authorise(r, x); !errors.Is(err, wantErr) || (wantErr == nil) != (err == nil) {
				t.Errorf("Authorise(%s, %d) = %v, want %v", r, x, err, wantErr)
			}
		}
	}
}

// TestTokensRole: each configured token is its role's, any other (or none) no role's, and a role
// without a token has none (an empty token is never the auditor's when there is no auditor).
func TestTokensRole(t *testing.T) {
	tokens := access.NewTokens("org", "op", "")
	for token, want := range map[string]access.Role{
		"org": access.RoleOrganiser, "op": access.RoleOperator, "": access.RolePublic,
		"orgx": access.RolePublic, "Org": access.RolePublic, "aud": access.RolePublic,
	} {
		if got := tokens.Role(token); got != want {
			t.Errorf("Role(%q) = %s, want %s", token, got, want)
		}
	}
}
