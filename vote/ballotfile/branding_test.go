package ballotfile_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/ballotfile"
	"github.com/livevote/livevote/vote/votetest"
)

func TestBrandingFromTheBallotFile(t *testing.T) {
	dir := t.TempDir()
	svg := `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="5"/></svg>`
	os.WriteFile(filepath.Join(dir, "logo.svg"), []byte(svg), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644)
	load := func(branding string) ([]*vote.Poll, error) {
		t.Helper()
		file := filepath.Join(dir, "ballot.yaml")
		os.WriteFile(file, []byte(votetest.PollYAML("branding: "+branding)), 0o644)
		return ballotfile.Load(file)
	}

	polls, err := load(`{logo: logo.svg, colors: {background: "#0b2545", accent: "#F4D35E"}}`)
	if err != nil {
		t.Fatal(err)
	}
	b := polls[0].Branding
	if string(b.Logo) != svg || b.LogoType != "image/svg+xml" || b.Background != "#0b2545" || b.Accent != "#F4D35E" {
		t.Errorf("branding from a file: %q %s %s %s", b.Logo, b.LogoType, b.Background, b.Accent)
	}
	polls, err = load(`{logo: "data:image/png;base64,iVBORw0KGgo="}`)
	if err != nil {
		t.Fatal(err)
	}
	if b := polls[0].Branding; b.LogoType != "image/png" || string(b.Logo) != "\x89PNG\r\n\x1a\n" || b.Accent != "" {
		t.Errorf("branding from a data: URI: %q %s %q", b.Logo, b.LogoType, b.Accent)
	}

	for _, tc := range []struct{ branding, want string }{
		{`{colors: {accent: red}}`, `accent: "red" must be a colour as #rrggbb`},
		{`{logo: ../logo.svg}`, "must be a file in the ballot file's folder"},
		{`{logo: /etc/passwd.png}`, "must be a file in the ballot file's folder"},
		{`{logo: notes.txt}`, "must be .svg, .png, .jpg or .webp"},
		{`{logo: missing.png}`, "must be a file in the ballot file's folder"},
		{`{logo: "data:text/html;base64,PGI+"}`, "not an image type"},
		{`{logo: "data:image/png,abc"}`, "data:<image type>;base64,<data>"},
		{`{logo: "data:image/png;base64,%%%"}`, "not base64"},
	} {
		if _, err := load(tc.branding); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("branding %s: error %v, want %q", tc.branding, err, tc.want)
		}
	}
}
