package server_test

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/livevote/livevote/vote"
	"github.com/livevote/livevote/vote/ballotfile"
	"github.com/livevote/livevote/vote/memstore"
)

const sharePoll = `polls:
  - id: share-test
    languages: [en, fr, zh]
    title: {en: "City of Your Choice", fr: "La ville de votre choix", zh: "市民之选"}
    description: {en: "Choose one.", fr: "Choisissez-en une.", zh: "请选择。"}
    difficulty: 0
    fraud: {hold: false}
    candidates:
      - {id: a, city: {en: Cape Town, fr: Le Cap, zh: 开普敦}, country: {en: South Africa, fr: Afrique du Sud, zh: 南非}, initiative: {en: Food systems, fr: Systèmes alimentaires, zh: 食物体系}}
      - {id: b, city: {en: Tehran, fr: Téhéran, zh: 德黑兰}, country: {en: Iran, fr: Iran, zh: 伊朗}, initiative: {en: Pruning waste, fr: Résidus de taille, zh: 修剪废料}}
`

// TestSharePreview covers the link preview: the ballot and the live page carry Open Graph and
// Twitter card tags in the link's language; the image is a 1200x630 PNG whose QR code is the
// ballot's address in that language; a language the embedded fonts cannot write (Chinese) gets
// its tags in it and its image in the poll's first one they can; after the reveal, the winner.
func TestSharePreview(t *testing.T) {
	polls, err := ballotfile.Parse([]byte(sharePoll), "share.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, memstore.New(), nil, withPoll(polls[0]))
	host := strings.TrimPrefix(e.URL, "http://")
	meta := func(page, key string) string {
		t.Helper()
		m := strings.Index(page, `="`+key+`" content="`)
		if m < 0 {
			t.Fatalf("no %s in the page", key)
		}
		v := page[m+len(key)+len(`="" content="`):]
		return v[:strings.IndexByte(v, '"')]
	}
	ballot := string(e.anonymous().get("/vote/share-test?lang=fr").Body)
	for key, want := range map[string]string{
		"og:title": "La ville de votre choix", "og:description": "Choisissez-en une.", "og:locale": "fr",
		"og:url": "http://" + host + "/vote/share-test?lang=fr", "og:image": "http://" + host + "/share/share-test.png?lang=fr&amp;results=hidden",
		"og:image:width": "1200", "og:image:height": "630", "twitter:card": "summary_large_image",
		"og:image:alt": "La ville de votre choix : le code QR du bulletin",
	} {
		if got := meta(ballot, key); got != want {
			t.Errorf("ballot page: %s = %q, want %q", key, got, want)
		}
	}
	live := string(e.anonymous().get("/live/share-test", "Accept-Language", "zh-CN,zh;q=0.9").Body)
	if meta(live, "og:url") != "http://"+host+"/live/share-test?lang=zh" || meta(live, "og:title") != "市民之选" || meta(live, "og:locale") != "zh_CN" ||
		!strings.Contains(live, `<html lang="zh" dir="ltr">`) {
		t.Errorf("live page in Chinese: og:url %q, og:title %q, og:locale %q", meta(live, "og:url"), meta(live, "og:title"), meta(live, "og:locale"))
	}

	image := func(lang string) ([]byte, string) {
		t.Helper()
		r := e.anonymous().get("/share/share-test.png?lang=" + lang)
		if r.Status != 200 || r.Header.Get("Content-Type") != "image/png" {
			t.Fatalf("share image %s: %d %s", lang, r.Status, r.Header.Get("Content-Type"))
		}
		img, err := png.Decode(bytes.NewReader(r.Body))
		if err != nil || img.Bounds() != image.Rect(0, 0, 1200, 630) {
			t.Fatalf("share image %s: %v, %v", lang, err, img.Bounds())
		}
		checkQR(t, img, "http://"+host+"/vote/share-test?lang="+lang)
		os.WriteFile(filepath.Join(os.TempDir(), "livevote-share-"+lang+".png"), r.Body, 0o644)
		return r.Body, r.Header.Get("Content-Language")
	}
	fr, in := image("fr")
	if in != "fr" {
		t.Errorf("the French link's image is in %q", in)
	}
	if _, in := image("zh"); in != "en" {
		t.Errorf("the Chinese link's image is in %q, want English (the fonts write Latin scripts only)", in)
	}

	e.voter().mustVote("b")
	e.mustAdmin("results", map[string]string{"results": "revealed"})
	// A staged reveal has begun: the stage has not shown the winner, nor does the preview.
	ballot = string(e.anonymous().get("/vote/share-test?lang=fr").Body)
	if img, alt := meta(ballot, "og:image"), meta(ballot, "og:image:alt"); !strings.HasSuffix(img, "&amp;results=revealing") || strings.Contains(alt, "lauréat") {
		t.Errorf("while the stage reveals, og:image is %q and its alt %q: no winner yet", img, alt)
	}
	if during, _ := image("fr"); !bytes.Equal(fr, during) {
		t.Error("the image changed before the stage showed the winner")
	}
	e.mustAdmin("reveal", map[string]any{"withheld": 0})
	e.Clock.Set(e.Clock.Now().Add(vote.StepGrace)) // the public sees the last step StepGrace after the stage
	after, _ := image("fr")
	if bytes.Equal(fr, after) {
		t.Error("the image is the same after the reveal")
	}
	ballot = string(e.anonymous().get("/vote/share-test?lang=fr").Body)
	if alt := meta(ballot, "og:image:alt"); alt != "La ville de votre choix : le lauréat, Téhéran · Résidus de taille" {
		t.Errorf("after the reveal the image's alt is %q", alt)
	}
	if img := meta(ballot, "og:image"); !strings.HasSuffix(img, "&amp;results=revealed") {
		t.Errorf("after the reveal og:image is %q: a new address, for the caches", img)
	}
}

// checkQR checks that the image's QR code (in its place, previewimage.go) is the one of want,
// module by module.
func checkQR(t *testing.T, img image.Image, want string) {
	t.Helper()
	q, err := qrcode.New(want, qrcode.Medium)
	if err != nil {
		t.Fatal(err)
	}
	bits := q.Bitmap()
	const side, x0, y0 = 420, 1200 - 420 - 60, (630 - 420) / 2
	cell := side / len(bits)
	off := (side - cell*len(bits)) / 2
	wrong := 0
	for y, row := range bits {
		for x, dark := range row {
			r, _, _, _ := img.At(x0+off+x*cell+cell/2, y0+off+y*cell+cell/2).RGBA()
			if (r < 0x8000) != dark {
				wrong++
			}
		}
	}
	if wrong > 0 {
		t.Errorf("the QR code in the image: %d of %d modules differ from the one of %s", wrong, len(bits)*len(bits), want)
	}
}
