// Package web holds the Administration > User Management page: plain static
// files (index.html and assets/) that S3 and CloudFront host as they are and
// that the local stack serves from this embedded copy. The page reads
// config.json from the site root; see README.md in this folder.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
)

// files is package-level because go:embed only fills package variables;
// nothing writes it, and Files is the only way to reach it.
//
//go:embed index.html assets
var files embed.FS

// Files returns index.html and assets/ as a read-only file system.
func Files() fs.FS { return files }

// inlineStyle matches index.html's inline <style> element; its group is the
// text a browser hashes for the content security policy.
var inlineStyle = regexp.MustCompile(`(?s)<style>(.*?)</style>`)

// ErrInlineStyle is returned by InlineStyleSource when index.html does not
// have exactly one inline <style> element.
var ErrInlineStyle = errors.New("index.html must have exactly one <style> element")

// InlineStyleSource returns the content security policy source that allows
// index.html's inline <style> and nothing else ('sha256-…' of its text, as
// CSP Level 2 defines it). The style paints the top bar and the loading
// skeleton before any stylesheet has arrived (docs/PERFORMANCE.md), and the
// page's policy must name it in style-src: without it the browser ignores
// the block, and with 'unsafe-inline' instead it would also run any style
// injected into the page. The local stack builds its policy from this, and
// web_test.go checks that the hosting guide (README.md) quotes it.
//
// It returns ErrInlineStyle (wrapped) when index.html has no inline style or
// more than one, and the error of reading index.html if that fails.
func InlineStyleSource() (string, error) {
	html, err := fs.ReadFile(files, "index.html")
	if err != nil {
		return "", err
	}
	blocks := inlineStyle.FindAllSubmatch(html, -1)
	if len(blocks) != 1 {
		return "", fmt.Errorf("%w; it has %d", ErrInlineStyle, len(blocks))
	}
	// A browser hashes the element's text as parsed, and HTML parsing turns
	// every CR LF and lone CR into LF, so an editor's line endings must not
	// change the hash.
	text := bytes.ReplaceAll(bytes.ReplaceAll(blocks[0][1], []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n"))
	sum := sha256.Sum256(text)
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'", nil
}
