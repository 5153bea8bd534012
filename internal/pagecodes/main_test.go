package main

import (
	"bytes"
	"io/fs"
	"testing"

	"github.com/livevote/livevote/hub"
	"github.com/livevote/livevote/server/pages"
	"github.com/livevote/livevote/static"
)

// TestModuleIsCurrent fails when static/common/codes.js is not what go generate ./static writes
// from the Go lists today: a list changed in Go and the pages would not know.
func TestModuleIsCurrent(t *testing.T) {
	want, err := module(static.FS())
	if err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile(static.FS(), "common/codes.js")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("static/common/codes.js is stale: run go generate ./static\nwant:\n%s", want)
	}
}

// TestPageRates: no page asks for more live updates than the hub gives.
func TestPageRates(t *testing.T) {
	for page, hz := range pages.Hz() {
		if hz < 1 || hz > hub.MaxHz {
			t.Errorf("the %s page asks for %d updates a second; the hub gives 1 to %d", page, hz, hub.MaxHz)
		}
	}
}
