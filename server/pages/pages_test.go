package pages_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/livevote/livevote/server/access"
	"github.com/livevote/livevote/server/pages"
	"github.com/livevote/livevote/vote"
)

func TestAssetsAreGzippedAndRevalidated(t *testing.T) {
	s := newSite(t, fakeAPI{})
	plainR, plain := s.get(t, "/static/vote.js", "Accept-Encoding", "identity")
	zippedR, zipped := s.get(t, "/static/vote.js", "Accept-Encoding", "gzip")
	if zippedR.Header.Get("Content-Encoding") != "gzip" || len(zipped) >= len(plain)/2 {
		t.Fatalf("gzipped: %q, %d bytes (plain %d)", zippedR.Header.Get("Content-Encoding"), len(zipped), len(plain))
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); !bytes.Equal(b, plain) {
		t.Error("the gzipped body is not the file")
	}
	if plainR.Header.Get("Cache-Control") != "no-cache" || plainR.Header.Get("ETag") == "" || plainR.Header.Get("ETag") == zippedR.Header.Get("ETag") {
		t.Errorf("caching headers: plain %v, gzipped %v", plainR.Header, zippedR.Header)
	}
	if r, body := s.get(t, "/static/vote.js", "If-None-Match", zippedR.Header.Get("ETag"), "Accept-Encoding", "gzip"); r.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("revalidation = %d, %d bytes; want 304", r.StatusCode, len(body))
	}
}

// TestFilesByName: a file is served by its name whatever its folder in static/ (the URLs did not
// change when the files went into a folder per page); a page is never served as a file.
func TestFilesByName(t *testing.T) {
	s := newSite(t, fakeAPI{})
	for _, name := range []string{"vote.js", "common.js", "codes.js", "lang-ar.js", "organiser-held.js", "screen.css", "logproof.js", "icon.svg"} {
		if r, body := s.get(t, "/static/"+name); r.StatusCode != 200 || len(body) == 0 {
			t.Errorf("GET /static/%s = %d, %d bytes", name, r.StatusCode, len(body))
		}
	}
	for _, name := range []string{"vote.html", "ballot/vote.js", "ballot%2Fvote.js", "static.go", "no-such.js"} {
		if r, _ := s.get(t, "/static/"+name); r.StatusCode != 404 {
			t.Errorf("GET /static/%s = %d, want 404", name, r.StatusCode)
		}
	}
}

var qrURL = regexp.MustCompile(`^<svg [^>]*data-url="([^"]+)"`)

func TestQRCodeOfTheBallot(t *testing.T) {
	trusted := func(c *pages.Config) { c.Proxies, _ = access.ParseProxies([]string{"127.0.0.1"}) }
	public := func(c *pages.Config) { c.PublicURL = "https://vote.example.org/" }
	for _, tc := range []struct {
		name   string
		cfg    []func(*pages.Config)
		header []string
		want   string // with {host} and {poll}
	}{
		{"from the request", nil, nil, "http://{host}/vote/{poll}"},
		{"forwarded headers of an untrusted peer are ignored", nil, []string{"X-Forwarded-Host", "evil.example", "X-Forwarded-Proto", "https"}, "http://{host}/vote/{poll}"},
		// Issue 24: a client's X-Forwarded-Host passed on by a proxy named another host in the
		// code: the proxy sets Host (nginx: $host), and X-Forwarded-Host is never believed.
		{"behind a trusted proxy: its Host, never X-Forwarded-Host", []func(*pages.Config){trusted}, []string{"X-Forwarded-Host", "vote.example.net", "X-Forwarded-Proto", "https"}, "https://{host}/vote/{poll}"},
		{"LIVEVOTE_PUBLIC_URL wins", []func(*pages.Config){public, trusted}, []string{"X-Forwarded-Host", "vote.example.net"}, "https://vote.example.org/vote/{poll}"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, fakeAPI{}, tc.cfg...)
			r, body := s.get(t, "/qr/"+s.poll.ID+".svg", tc.header...)
			if r.StatusCode != 200 || r.Header.Get("Content-Type") != "image/svg+xml" {
				t.Errorf("%d, Content-Type %q", r.StatusCode, r.Header.Get("Content-Type"))
			}
			m := qrURL.FindSubmatch(body)
			want := strings.NewReplacer("{host}", strings.TrimPrefix(s.url, "http://"), "{poll}", s.poll.ID).Replace(tc.want)
			if m == nil || string(m[1]) != want {
				t.Fatalf("QR code of %q, want %q: %.200s", m, want, body)
			}
			if !bytes.Contains(body, []byte(`<path fill="#000" d="M`)) {
				t.Errorf("no modules drawn: %.300s", body)
			}
		})
	}
}

var bootBlock = regexp.MustCompile(`<script type="application/json" id="boot">([^<]*)</script>\n</head>`)

// TestBallotBoot: the ballot page carries the API's answers and, while the poll is open and the
// voter has not voted, a challenge; when the API cannot answer, the page goes without its block.
func TestBallotBoot(t *testing.T) {
	open := vote.State{Status: vote.StatusOpen, Results: vote.ResultsHidden, Difficulty: 1000}
	for _, tc := range []struct {
		name      string
		api       fakeAPI
		challenge bool
	}{
		{"open", fakeAPI{state: open}, true},
		{"voted", fakeAPI{state: open, voted: true}, false},
		{"paused", fakeAPI{state: vote.State{Status: vote.StatusPaused, Results: vote.ResultsHidden}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t, tc.api)
			for _, path := range []string{"/", "/vote/" + s.poll.ID} {
				r, body := s.get(t, path)
				m := bootBlock.FindSubmatch(body)
				if r.StatusCode != 200 || m == nil || r.Header.Get("Cache-Control") != "no-store" {
					t.Fatalf("GET %s: %d, Cache-Control %q, boot block %q", path, r.StatusCode, r.Header.Get("Cache-Control"), m)
				}
				var boot struct {
					Poll      struct{ ID string }
					Me        struct{ Voted bool }
					Challenge *struct{ Algorithm string }
				}
				if err := json.Unmarshal(m[1], &boot); err != nil {
					t.Fatal(err)
				}
				if boot.Poll.ID != s.poll.ID || boot.Me.Voted != tc.api.voted || (boot.Challenge != nil) != tc.challenge {
					t.Errorf("GET %s: boot %s", path, m[1])
				}
			}
		})
	}
	s := newSite(t, fakeAPI{err: errors.New("store down")})
	if r, body := s.get(t, "/vote/"+s.poll.ID); r.StatusCode != 200 || bootBlock.Match(body) || !bytes.Contains(body, []byte(`src="/static/vote.js"`)) {
		t.Errorf("with the API down: %d, %.300s", r.StatusCode, body)
	}
}

// TestMissingPage: a page about a poll that does not exist is the "not found" page, with the
// pages' headers.
func TestMissingPage(t *testing.T) {
	s := newSite(t, fakeAPI{})
	for _, path := range []string{"/vote/no-such-poll", "/live/no-such-poll"} {
		r, body := s.get(t, path)
		if r.StatusCode != 404 || !bytes.Contains(body, []byte("This page does not exist.")) || r.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s = %d %v", path, r.StatusCode, r.Header)
		}
	}
}
