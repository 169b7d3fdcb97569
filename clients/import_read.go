package clients

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
)

// RowError is one bad import row: its line in the file and why.
type RowError struct {
	Line     int    `json:"line"`
	ClientID string `json:"client_id,omitempty"`
	Reason   string `json:"reason"`
}

func (e RowError) String() string {
	if e.ClientID != "" {
		return fmt.Sprintf("line %d (%s): %s", e.Line, e.ClientID, e.Reason)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
}

// csvRow is one data row: its line and its values by column.
type csvRow struct {
	line   int
	values map[*Column]string
}

// readCSV decodes a whole file: UTF-8 (with or without BOM) or, when it is
// not valid UTF-8, Windows-1252; "," or ";" separated, chosen by which the
// header row has more of. Unknown header names fail the whole file. One
// leading quote, the spreadsheets' text mark, is taken off every value.
func readCSV(in io.Reader) ([]*Column, []csvRow, error) {
	raw, err := io.ReadAll(in)
	if err != nil {
		return nil, nil, fmt.Errorf("read file: %w", err)
	}
	raw = bytes.TrimPrefix(raw, []byte("\uFEFF"))
	if !utf8.Valid(raw) {
		if raw, err = charmap.Windows1252.NewDecoder().Bytes(raw); err != nil {
			return nil, nil, fmt.Errorf("decode Windows-1252: %w", err)
		}
	}
	first, _, _ := bytes.Cut(raw, []byte("\n"))
	cr := csv.NewReader(bytes.NewReader(raw))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		cr.Comma = ';'
	}
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, errors.New("the file is empty: it needs a header row")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("header row: %w", err)
	}
	cols := make([]*Column, len(header))
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if seen[h] {
			return nil, nil, fmt.Errorf("header row: column %q appears twice", h)
		}
		seen[h] = true
		found := false
		for j := range Columns {
			if Columns[j].Name == h {
				cols[i], found = &Columns[j], true
			}
		}
		if !found {
			return nil, nil, fmt.Errorf("header row: unknown column %q (see `turno clients export` for the columns)", h)
		}
	}
	if !seen["client_id"] {
		return nil, nil, errors.New("header row: the client_id column is required")
	}
	var rows []csvRow
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				rows = append(rows, csvRow{line: line}) // reported as bad
				continue
			}
			return nil, nil, fmt.Errorf("line %d: %w", line, err)
		}
		v := make(map[*Column]string, len(rec))
		for i, x := range rec {
			v[cols[i]] = importCell(x) // the export's formula guard: see csvcell.go
		}
		rows = append(rows, csvRow{line: line, values: v})
	}
	return cols, rows, nil
}
