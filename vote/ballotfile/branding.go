package ballotfile

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strings"

	"github.com/livevote/livevote/vote"
)

// fileBranding is a poll's branding as the ballot file writes it:
//
//	branding:
//	  logo: logo.svg            # a file beside the ballot file, or a data: URI (base64)
//	  colors: {background: "#0b2545", accent: "#f4d35e"}
type fileBranding struct {
	Logo   string `yaml:"logo"`
	Colors struct {
		Background string `yaml:"background"`
		Accent     string `yaml:"accent"`
	} `yaml:"colors"`
}

// maxLogo bounds a logo's size: it is kept in memory and sent to every big screen and live page.
const maxLogo = 512 << 10

// logoTypes are the logo formats a browser shows in an <img>, by file extension.
var logoTypes = map[string]string{
	".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp",
}

var colorPattern = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// branding checks the branding and reads its logo (a file is looked up in dir, and may not leave
// it). A nil fb is no branding.
func (fb *fileBranding) branding(dir string) (vote.Branding, error) {
	if fb == nil {
		return vote.Branding{}, nil
	}
	b := vote.Branding{Background: fb.Colors.Background, Accent: fb.Colors.Accent}
	for field, c := range map[string]string{"background": b.Background, "accent": b.Accent} {
		if c != "" && !colorPattern.MatchString(c) {
			return vote.Branding{}, fmt.Errorf("branding: colors: %s: %q must be a colour as #rrggbb", field, c)
		}
	}
	if fb.Logo == "" {
		return b, nil
	}
	var err error
	if strings.HasPrefix(fb.Logo, "data:") {
		b.Logo, b.LogoType, err = dataURI(fb.Logo)
	} else {
		b.Logo, b.LogoType, err = logoFile(dir, fb.Logo)
	}
	if err != nil {
		return vote.Branding{}, fmt.Errorf("branding: logo: %w", err)
	}
	if len(b.Logo) == 0 || len(b.Logo) > maxLogo {
		return vote.Branding{}, fmt.Errorf("branding: logo: %d bytes; it must have between 1 and %d", len(b.Logo), maxLogo)
	}
	return b, nil
}

// dataURI decodes a data: URI of an image in base64 (data:image/png;base64,...).
func dataURI(uri string) ([]byte, string, error) {
	head, payload, ok := strings.Cut(strings.TrimPrefix(uri, "data:"), ",")
	mediaType, ok2 := strings.CutSuffix(head, ";base64")
	if !ok || !ok2 {
		return nil, "", errors.New("a data: URI must be data:<image type>;base64,<data>")
	}
	known := false
	for _, t := range logoTypes {
		known = known || t == mediaType
	}
	if !known {
		return nil, "", fmt.Errorf("%q is not an image type pages show (svg, png, jpeg, webp)", mediaType)
	}
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return nil, "", fmt.Errorf("the data is not base64: %w", err)
	}
	return data, mediaType, nil
}

// logoFile reads the logo file name in dir; name may not leave dir.
func logoFile(dir, name string) ([]byte, string, error) {
	mediaType, ok := logoTypes[strings.ToLower(path.Ext(name))]
	if !ok {
		return nil, "", fmt.Errorf("%q: the file must be .svg, .png, .jpg or .webp", name)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, "", err
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		return nil, "", fmt.Errorf("%q must be a file in the ballot file's folder: %w", name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxLogo+1))
	if err != nil {
		return nil, "", err
	}
	return data, mediaType, nil
}
