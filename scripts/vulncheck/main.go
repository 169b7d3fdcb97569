// Command vulncheck reads `govulncheck -format json` on standard input and
// decides: it lists every advisory whose vulnerable function our code
// calls (a reachable finding) and exits 1 when one of them is not in the
// allow list given as its argument. Advisories only imported or required,
// never called, are counted, not listed. scripts/vulncheck.sh runs it.
//
// The allow list has one advisory per line: its ID, then why it is
// accepted for now (a line starting with # is a comment). An allowed
// advisory that is no longer found is reported, so the list shrinks.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Receiver string `json:"receiver"`
}

type message struct {
	Config *struct {
		ScannerVersion string `json:"scanner_version"`
		DB             string `json:"db"`
		DBLastModified string `json:"db_last_modified"`
		GoVersion      string `json:"go_version"`
	} `json:"config"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV          string   `json:"osv"`
		FixedVersion string   `json:"fixed_version"`
		Trace        []*frame `json:"trace"`
	} `json:"finding"`
}

type advisory struct {
	id, module, found, fixed, summary, example string
	called                                     bool
}

func main() {
	allowed, err := readAllow(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(2)
	}
	found, summaries := map[string]*advisory{}, map[string]string{}
	dec := json.NewDecoder(bufio.NewReader(os.Stdin))
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			fmt.Fprintln(os.Stderr, "vulncheck: read govulncheck output:", err)
			os.Exit(2)
		}
		switch {
		case m.Config != nil:
			fmt.Printf("govulncheck %s, Go %s, database %s (modified %s)\n", m.Config.ScannerVersion,
				m.Config.GoVersion, m.Config.DB, m.Config.DBLastModified)
		case m.OSV != nil:
			summaries[m.OSV.ID] = m.OSV.Summary
		case m.Finding != nil && len(m.Finding.Trace) > 0:
			f, top := m.Finding, m.Finding.Trace[0]
			key := f.OSV + " " + top.Module
			a := found[key]
			if a == nil {
				a = &advisory{id: f.OSV, module: top.Module, found: top.Version, fixed: f.FixedVersion}
				found[key] = a
			}
			if top.Function != "" && !a.called {
				a.called = true
				a.example = describe(f.Trace)
			}
		}
	}
	var called []*advisory
	notCalled := 0
	for _, a := range found {
		a.summary = summaries[a.id]
		if a.called {
			called = append(called, a)
		} else {
			notCalled++
		}
	}
	sort.Slice(called, func(i, j int) bool { return called[i].id+called[i].module < called[j].id+called[j].module })
	failed := 0
	seen := map[string]bool{}
	for _, a := range called {
		seen[a.id] = true
		verdict := "FAIL"
		if why, ok := allowed[a.id]; ok {
			verdict = "allowed (" + why + ")"
		} else {
			failed++
		}
		fixed := a.fixed
		if fixed == "" {
			fixed = "no fixed version yet"
		}
		fmt.Printf("%s %s in %s@%s, fixed in %s: %s\n    %s\n    called: %s\n", verdict, a.id, a.module, a.found, fixed,
			a.summary, "https://pkg.go.dev/vuln/"+a.id, a.example)
	}
	for id := range allowed {
		if !seen[id] {
			fmt.Printf("note: %s is allowed but no longer found: remove it from the allow list\n", id)
		}
	}
	fmt.Printf("%d advisories our code calls (%d not allowed); %d more in code we import or require but never call\n",
		len(called), failed, notCalled)
	if failed > 0 {
		os.Exit(1)
	}
}

// describe is the call chain of a finding, from our code to the
// vulnerable function.
func describe(trace []*frame) string {
	var parts []string
	for i := len(trace) - 1; i >= 0; i-- {
		f := trace[i]
		name := f.Function
		if f.Receiver != "" {
			name = strings.TrimPrefix(f.Receiver, "*") + "." + name
		}
		parts = append(parts, f.Package+"."+name)
	}
	return strings.Join(parts, " → ")
}

func readAllow(args []string) (map[string]string, error) {
	out := map[string]string{}
	if len(args) == 0 {
		return out, nil
	}
	b, err := os.ReadFile(args[0])
	if err != nil {
		return nil, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, why, _ := strings.Cut(line, " ")
		out[id] = strings.TrimSpace(why)
	}
	return out, nil
}
