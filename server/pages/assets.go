package pages

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/livevote/livevote/static"
)

// asset is one embedded file ready to serve: its bytes, gzipped once, and its entity tag.
type asset struct {
	body, gzip  []byte
	contentType string
	etag        string
}

// embeddedAssets returns the embedded files' assets (static.FS), read and compressed once per
// process: the files are built into the binary, and compressing them all at the best level takes
// a few hundred milliseconds, which every server of a test package would otherwise pay again. The
// map and its assets are never changed after.
var embeddedAssets = sync.OnceValues(func() (map[string]*asset, error) { return loadAssets(static.FS()) })

// loadAssets reads every file of fsys and compresses it, by file name: the folders (one per page)
// are how the files are kept, not part of their address (/static/{name}), so a name may be used
// once only.
func loadAssets(fsys fs.FS) (map[string]*asset, error) {
	out := map[string]*asset{}
	err := fs.WalkDir(fsys, ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || path.Ext(name) == ".go" {
			return err
		}
		base := path.Base(name)
		if out[base] != nil {
			return fmt.Errorf("%s: another folder has a file of that name, and both would be /static/%s", name, base)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		out[base] = newAsset(base, body)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	return out, nil
}

// newAsset makes the asset of the file name with the given content.
func newAsset(name string, body []byte) *asset {
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	sum := sha256.Sum256(body)
	ctype := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js":
		ctype = "text/javascript; charset=utf-8"
	case ".svg":
		ctype = "image/svg+xml"
	}
	a := &asset{body: body, contentType: ctype, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
	if gz.Len() < len(body) {
		a.gzip = gz.Bytes()
	}
	return a
}

// send answers the asset: 304 when the client holds this version (unless the answer is an error
// page), gzipped when the client takes it. Clients revalidate every time (no-cache): a new
// deployment is seen at the next load.
func (a *asset) send(c *fiber.Ctx) error {
	etag, body := a.etag, a.body
	gz := a.gzip != nil && strings.Contains(c.Get(fiber.HeaderAcceptEncoding), "gzip")
	if gz {
		etag, body = strings.TrimSuffix(a.etag, `"`)+`-gz"`, a.gzip
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set(fiber.HeaderETag, etag)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	ok := c.Response().StatusCode() == fiber.StatusOK
	if match := c.Get(fiber.HeaderIfNoneMatch); ok && match != "" && strings.Contains(match, etag) {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.contentType)
	if gz {
		c.Set(fiber.HeaderContentEncoding, "gzip")
	}
	return c.Send(body)
}
