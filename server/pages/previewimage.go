package pages

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/font/sfnt"
	"golang.org/x/image/math/fixed"
)

// The share image (og:image) is drawn by livevote itself, with the Go fonts embedded in the binary
// (golang.org/x/image/font/gofont): no font of the machine is needed, and none is guaranteed. They
// cover the Latin, Greek and Cyrillic scripts only, so the image is in a language of the poll
// written in those (drawable): a link in Chinese or Arabic gets its preview's tags in its language
// and its image in the poll's first such language (English for the built-in ballot).

// previewSize is the size of the share image: the 1.91:1 of Open Graph and Twitter's large card.
const previewW, previewH = 1200, 630

// preview is what one share image shows.
type preview struct {
	Title string // the poll's title
	URL   string // the ballot's address, drawn as a QR code
	Scan  string // "Scan to vote"
	// After the reveal: the winner's mark ("Winner"), and each winner as its city and initiative.
	Kicker  string
	Winners [][2]string
	// Background and Accent are the poll's colours (#rrggbb; "" for livevote's).
	Background, Accent string
}

// previewFonts are the parsed fonts of the share image.
type previewFonts struct{ regular, bold *opentype.Font }

func newPreviewFonts() (*previewFonts, error) {
	r, err := opentype.Parse(goregular.TTF)
	if err != nil {
		return nil, fmt.Errorf("share image: %w", err)
	}
	b, err := opentype.Parse(gobold.TTF)
	if err != nil {
		return nil, fmt.Errorf("share image: %w", err)
	}
	return &previewFonts{regular: r, bold: b}, nil
}

// drawable reports whether the fonts have a glyph for every letter of every s.
func (f *previewFonts) drawable(ss ...string) bool {
	var buf sfnt.Buffer
	for _, s := range ss {
		for _, r := range s {
			if r == ' ' || r == '\n' {
				continue
			}
			if i, err := f.bold.GlyphIndex(&buf, r); err != nil || i == 0 {
				return false
			}
		}
	}
	return true
}

// draw renders pv as a PNG of previewW x previewH.
func (f *previewFonts) draw(pv preview) ([]byte, error) {
	bg, accent := hexColor(pv.Background, color.RGBA{0x0d, 0x5c, 0x56, 0xff}), hexColor(pv.Accent, color.RGBA{0xf4, 0xd3, 0x5e, 0xff})
	img := image.NewRGBA(image.Rect(0, 0, previewW, previewH))
	draw.Draw(img, img.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	white := image.NewUniform(color.White)

	// The QR code of the ballot, on white with its quiet zone, on the right.
	const qrSide, qrX, qrY = 420, previewW - 420 - 60, (previewH - 420) / 2
	q, err := qrcode.New(pv.URL, qrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("share image: %w", err)
	}
	bits := q.Bitmap()
	draw.Draw(img, image.Rect(qrX, qrY, qrX+qrSide, qrY+qrSide), white, image.Point{}, draw.Src)
	cell := qrSide / len(bits)
	off := (qrSide - cell*len(bits)) / 2
	black := image.NewUniform(color.Black)
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				r := image.Rect(qrX+off+x*cell, qrY+off+y*cell, qrX+off+(x+1)*cell, qrY+off+(y+1)*cell)
				draw.Draw(img, r, black, image.Point{}, draw.Src)
			}
		}
	}
	const textW = qrX - 60 - 50 // the text column, left of the code
	text := func(fnt *opentype.Font, size float64, c image.Image, s string, y, maxLines int) (int, error) {
		face, err := opentype.NewFace(fnt, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
		if err != nil {
			return y, err
		}
		defer face.Close()
		d := &font.Drawer{Dst: img, Src: c, Face: face}
		lh := int(size * 1.22)
		for i, line := range wrap(d, s, textW, maxLines) {
			d.Dot = fixed.P(60, y+i*lh+int(size))
			d.DrawString(line)
		}
		return y + len(wrap(d, s, textW, maxLines))*lh, nil
	}
	if len(pv.Winners) == 0 {
		if _, err := text(f.bold, 60, white, pv.Title, qrY-10, 5); err != nil {
			return nil, err
		}
		if _, err := text(f.bold, 38, image.NewUniform(accent), pv.Scan, qrY+qrSide-46, 1); err != nil {
			return nil, err
		}
	} else {
		y, err := text(f.regular, 34, white, pv.Title, qrY-10, 3)
		if err != nil {
			return nil, err
		}
		if y, err = text(f.bold, 44, image.NewUniform(accent), pv.Kicker, y+28, 1); err != nil {
			return nil, err
		}
		for _, w := range pv.Winners[:min(2, len(pv.Winners))] {
			if y, err = text(f.bold, float64(84/len(pv.Winners[:min(2, len(pv.Winners))])), white, w[0], y+8, 1); err != nil {
				return nil, err
			}
			if y, err = text(f.regular, 40, white, w[1], y, 3/len(pv.Winners[:min(2, len(pv.Winners))])); err != nil {
				return nil, err
			}
		}
	}
	var out bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&out, img); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// wrap breaks s into lines of at most width pixels, at spaces, and at most maxLines: the last one
// ends with an ellipsis when s does not fit.
func wrap(d *font.Drawer, s string, width, maxLines int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		next := strings.TrimSpace(line + " " + w)
		if line != "" && d.MeasureString(next).Ceil() > width {
			lines = append(lines, line)
			line = w
			continue
		}
		line = next
	}
	if line != "" {
		lines = append(lines, line)
	}
	if len(lines) > maxLines {
		last := strings.Fields(lines[maxLines-1])
		for len(last) > 1 && d.MeasureString(strings.Join(last, " ")+"…").Ceil() > width {
			last = last[:len(last)-1]
		}
		lines = append(lines[:maxLines-1], strings.Join(last, " ")+"…")
	}
	return lines
}

// hexColor is #rrggbb as a colour, or def for "" (the ballot file checked the form).
func hexColor(s string, def color.RGBA) color.RGBA {
	var r, g, b uint8
	if _, err := fmt.Sscanf(s, "#%02x%02x%02x", &r, &g, &b); err != nil {
		return def
	}
	return color.RGBA{r, g, b, 0xff}
}
