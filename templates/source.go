package templates

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
)

// defaults holds the built-in templates, laid out as an override directory is.
//
//go:embed default
var defaults embed.FS

// The parts of one email, as file name suffixes.
const (
	partSubject = ".subject.txt"
	partText    = ".txt"
	partHTML    = ".html"
)

// layoutName is the per-language file pair that wraps every text and HTML body.
const layoutName = "layout"

// source is one template file's text and the name it is parsed under:
// the override's real path, or "default/<lang>/<file>" when embedded.
type source struct {
	name string
	text string
}

// knownFiles lists every relative path an override directory may hold,
// in slash form: "es/layout.html", "en/ticket_ack.subject.txt", ...
func knownFiles() []string {
	var files []string
	for _, lang := range Langs() {
		files = append(files, lang+"/"+layoutName+partText, lang+"/"+layoutName+partHTML)
		for _, name := range Names() {
			for _, part := range []string{partSubject, partText, partHTML} {
				files = append(files, lang+"/"+name+part)
			}
		}
	}
	return files
}

// sources reads every template file: the override from dir when there is
// one, the embedded default otherwise. A file in dir that is not one of
// knownFiles is an error naming it.
func sources(dir string) (map[string]source, error) {
	known := knownFiles()
	srcs := make(map[string]source, len(known))
	for _, rel := range known {
		b, err := defaults.ReadFile("default/" + rel)
		if err != nil {
			return nil, fmt.Errorf("embedded default %s: %w", rel, err)
		}
		srcs[rel] = source{name: "default/" + rel, text: string(b)}
	}
	if dir == "" {
		return srcs, nil
	}
	var errs []error
	err := fs.WalkDir(os.DirFS(dir), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		real := filepath.Join(dir, filepath.FromSlash(rel))
		if !slices.Contains(known, rel) {
			errs = append(errs, fmt.Errorf("%s: unknown template file (expected <lang>/<name>%s, %s or %s, lang one of %v, name one of %v or %q)",
				real, partSubject, partText, partHTML, Langs(), Names(), layoutName))
			return nil
		}
		b, err := os.ReadFile(real)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		srcs[path.Clean(rel)] = source{name: real, text: string(b)}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read override directory: %w", err)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return srcs, nil
}
