package pages

import (
	"strings"
	"testing"
	"testing/fstest"
)

// TestBestLanguage covers the language negotiation of the pages: the best of Accept-Language by
// q, the exact tag before the primary subtag, else the poll's first language.
func TestBestLanguage(t *testing.T) {
	offered := []string{"en", "zh", "fr", "pt-BR"}
	for _, tc := range []struct{ accept, want string }{
		{"", "en"},
		{"*", "en"},
		{"de", "en"},
		{"fr-CA,fr;q=0.9,en;q=0.8", "fr"},
		{"de;q=1,zh;q=0.2,fr;q=0.3", "fr"},
		{"ZH-hans", "zh"},
		{"pt", "pt-BR"},
		{"pt-PT;q=0.9,pt-BR", "pt-BR"},
		{"en;q=0.1, fr;q=x", "fr"},
	} {
		if got := bestLanguage(offered, tc.accept); got != tc.want {
			t.Errorf("bestLanguage(%q) = %s, want %s", tc.accept, got, tc.want)
		}
	}
}

// TestAFileNameOnce: two folders may not hold files of the same name, which would both be
// /static/{name}.
func TestAFileNameOnce(t *testing.T) {
	fsys := fstest.MapFS{"ballot/x.js": {Data: []byte("1")}, "live/x.js": {Data: []byte("2")}, "live/y.js": {Data: []byte("3")}}
	if _, err := loadAssets(fsys); err == nil || !strings.Contains(err.Error(), "x.js") {
		t.Fatalf("loadAssets with x.js twice: %v", err)
	}
	delete(fsys, "live/x.js")
	a, err := loadAssets(fsys)
	if err != nil || len(a) != 2 || string(a["x.js"].body) != "1" || string(a["y.js"].body) != "3" {
		t.Fatalf("loadAssets = %v, %v", a, err)
	}
}
