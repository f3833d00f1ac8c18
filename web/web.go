// Package web holds the Administration > User Management page: plain static
// files (index.html and assets/) that S3 and CloudFront host as they are and
// that the local stack serves from this embedded copy. The page reads
// config.json from the site root; see README.md in this folder.
package web

import (
	"embed"
	"io/fs"
)

// files is package-level because go:embed only fills package variables;
// nothing writes it, and Files is the only way to reach it.
//
//go:embed index.html assets
var files embed.FS

// Files returns index.html and assets/ as a read-only file system.
func Files() fs.FS { return files }
