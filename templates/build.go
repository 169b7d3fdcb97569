package templates

import (
	"fmt"
	htmltemplate "html/template"
	"io"
	texttemplate "text/template"
	"text/template/parse"
)

// buildLang parses every template of one language into s.entries and
// returns every error found, each naming its file and line. Entries are
// complete only when no error is returned.
func (s *Set) buildLang(lang string, srcs map[string]source) []error {
	var errs []error
	tf, hf := textFuncs(lang, s.company, s.loc), htmlFuncs(lang, s.company, s.loc)

	textLayout := srcs[lang+"/"+layoutName+partText]
	tl, err := texttemplate.New(textLayout.name).Funcs(tf).Parse(textLayout.text)
	if err == nil {
		err = requireBody(textLayout.name, tl.Tree)
	}
	if err != nil {
		errs, tl = append(errs, err), nil
	}
	htmlLayout := srcs[lang+"/"+layoutName+partHTML]
	hl, err := htmltemplate.New(htmlLayout.name).Funcs(hf).Parse(htmlLayout.text)
	if err == nil {
		err = requireBody(htmlLayout.name, hl.Tree)
	}
	if err != nil {
		errs, hl = append(errs, err), nil
	}

	for _, k := range catalog() {
		e := &entry{}
		base := lang + "/" + k.name
		subj := srcs[base+partSubject]
		if e.subject, err = texttemplate.New(subj.name).Funcs(tf).Parse(subj.text); err != nil {
			errs = append(errs, err)
		}
		text := srcs[base+partText]
		if _, err := texttemplate.New(text.name).Funcs(tf).Parse(text.text); err != nil {
			errs = append(errs, err)
		} else if tl != nil {
			e.text = withTextBody(tl, text)
		}
		html := srcs[base+partHTML]
		if err := checkHTMLBody(html, hf, k.sample()); err != nil {
			errs = append(errs, err)
		} else if hl != nil {
			e.html = withHTMLBody(hl, html)
		}
		s.entries[entryKey(lang, k.name)] = e
	}
	return errs
}

// checkHTMLBody parses an HTML body on its own and executes it with
// sample data, so that markup left open in the body (an unclosed
// attribute, a <script> never ended) is blamed on the body's file rather
// than on the layout it would leak into.
func checkHTMLBody(src source, funcs htmltemplate.FuncMap, sample any) error {
	t, err := htmltemplate.New(src.name).Funcs(funcs).Parse(src.text)
	if err != nil {
		return err
	}
	return t.Execute(io.Discard, sample)
}

// withTextBody returns a copy of the layout in which {{template "body"}}
// is src. src has already parsed on its own, so nothing here can fail.
// The body keeps its own name, so errors while executing it name its file.
func withTextBody(layout *texttemplate.Template, src source) *texttemplate.Template {
	t := texttemplate.Must(layout.Clone())
	body := texttemplate.Must(t.New(src.name).Parse(src.text))
	texttemplate.Must(t.AddParseTree("body", body.Tree))
	return t
}

// withHTMLBody is withTextBody for HTML.
func withHTMLBody(layout *htmltemplate.Template, src source) *htmltemplate.Template {
	t := htmltemplate.Must(layout.Clone())
	body := htmltemplate.Must(t.New(src.name).Parse(src.text))
	htmltemplate.Must(t.AddParseTree("body", body.Tree))
	return t
}

// requireBody checks that a layout includes the body somewhere.
func requireBody(name string, tree *parse.Tree) error {
	if tree != nil && includes(tree.Root, "body") {
		return nil
	}
	return fmt.Errorf(`%s: layout never includes the body: add {{template "body" .}}`, name)
}

// includes reports whether n contains {{template "name" ...}}.
func includes(n parse.Node, name string) bool {
	switch n := n.(type) {
	case *parse.TemplateNode:
		return n.Name == name
	case *parse.ListNode:
		if n == nil {
			return false
		}
		for _, c := range n.Nodes {
			if includes(c, name) {
				return true
			}
		}
	case *parse.IfNode:
		return includes(n.List, name) || includes(n.ElseList, name)
	case *parse.RangeNode:
		return includes(n.List, name) || includes(n.ElseList, name)
	case *parse.WithNode:
		return includes(n.List, name) || includes(n.ElseList, name)
	}
	return false
}
