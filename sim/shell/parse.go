package shell

import (
	"fmt"
	"strings"
)

// The grammar is the part of POSIX sh that pod commands and CKA tasks
// use: simple commands with assignments and redirections, pipelines,
// && and ||, ; & and newlines, `while`/`until`/`for`/`if`, { } and ( )
// groups, and words with single and double quotes, backslashes, $VAR,
// ${VAR}, $?, $$, $# and $(...) / `...` substitutions.

// segment is one piece of a word: literal text, a parameter, or a
// command substitution.
type segment struct {
	kind   segKind
	text   string // literal text, parameter name, or the substituted script
	quoted bool   // inside quotes: no field splitting
}

type segKind int

const (
	segLit segKind = iota
	segParam
	segSubst
)

// word is one shell word before expansion.
type word struct{ segs []segment }

// lit is the word's text when it is a plain unquoted literal (reserved
// words are recognised only then).
func (w word) lit() (string, bool) {
	if len(w.segs) != 1 || w.segs[0].kind != segLit || w.segs[0].quoted {
		return "", false
	}
	return w.segs[0].text, true
}

type redirect struct {
	fd     int    // 0, 1 or 2
	op     string // ">", ">>", "<", ">&"
	target word
}

// node is a parsed command.
type node interface{}

type simpleCmd struct {
	assigns []string // NAME=value words, expanded at run time
	values  []word
	words   []word
	redirs  []redirect
}

type pipeline struct {
	negate bool
	cmds   []node
}

type andOr struct {
	first node
	ops   []string // "&&" or "||" before rest[i]
	rest  []node
}

type list struct{ items []node }

type whileCmd struct {
	until bool
	cond  *list
	body  *list
}

type forCmd struct {
	name  string
	items []word
	inSet bool
	body  *list
}

type ifCmd struct {
	conds []*list
	thens []*list
	els   *list
}

type group struct {
	body     *list
	subshell bool
	redirs   []redirect
}

// token kinds.
type tokKind int

const (
	tWord tokKind = iota
	tOp
	tEOF
)

type token struct {
	kind tokKind
	op   string // for tOp: ; & && || | ( ) newline "\n", redirections
	w    word
	fd   int // for redirections: the fd number written before the operator, -1 if none
}

// SyntaxError is a script that does not parse.
type SyntaxError struct{ Msg string }

func (e *SyntaxError) Error() string { return e.Msg }

// lex splits a script into tokens.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case c == '\\' && i+1 < len(src) && src[i+1] == '\n':
			i += 2
		case c == '#':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '\n':
			toks = append(toks, token{kind: tOp, op: "\n"})
			i++
		case c == ';':
			if strings.HasPrefix(src[i:], ";;") {
				return nil, &SyntaxError{Msg: "syntax error: unexpected \";;\""}
			}
			toks = append(toks, token{kind: tOp, op: ";"})
			i++
		case c == '&' || c == '|':
			op := string(c)
			if i+1 < len(src) && src[i+1] == c {
				op += string(c)
			}
			toks = append(toks, token{kind: tOp, op: op})
			i += len(op)
		case c == '(' || c == ')':
			toks = append(toks, token{kind: tOp, op: string(c)})
			i++
		case c == '>' || c == '<' || (c >= '0' && c <= '2' && i+1 < len(src) && (src[i+1] == '>' || src[i+1] == '<')):
			fd := -1
			if c >= '0' && c <= '2' {
				fd = int(c - '0')
				i++
				c = src[i]
			}
			op := string(c)
			switch {
			case c == '>' && i+1 < len(src) && src[i+1] == '>':
				op = ">>"
			case c == '>' && i+1 < len(src) && src[i+1] == '&':
				op = ">&"
			case c == '<' && i+1 < len(src) && src[i+1] == '<':
				return nil, &SyntaxError{Msg: "here-documents are not supported by this shell"}
			}
			i += len(op)
			toks = append(toks, token{kind: tOp, op: op, fd: fd})
		default:
			w, n, err := lexWord(src[i:])
			if err != nil {
				return nil, err
			}
			toks = append(toks, token{kind: tWord, w: w})
			i += n
		}
	}
	return append(toks, token{kind: tEOF}), nil
}

func isMeta(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '<' || c == '>'
}

// lexWord reads one word and returns it with the bytes consumed.
func lexWord(s string) (word, int, error) {
	var w word
	var lit strings.Builder
	quotedLit := false
	flush := func() {
		if lit.Len() > 0 || quotedLit {
			w.segs = append(w.segs, segment{kind: segLit, text: lit.String(), quoted: quotedLit})
			lit.Reset()
		}
		quotedLit = false
	}
	addLit := func(text string, quoted bool) {
		if quoted != quotedLit && lit.Len() > 0 {
			flush()
		}
		quotedLit = quoted
		lit.WriteString(text)
	}
	i := 0
	// dollar reads the $ or ` expansion at s[i]; a lone $ is literal.
	dollar := func(quoted bool) error {
		seg, n, err := lexDollar(s[i:])
		if err != nil {
			return err
		}
		if n == 0 {
			addLit("$", quoted)
			i++
			return nil
		}
		flush()
		seg.quoted = quoted
		w.segs = append(w.segs, seg)
		i += n
		return nil
	}
	for i < len(s) && !isMeta(s[i]) {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) {
				addLit(string(s[i+1]), true)
				i += 2
			} else {
				i++
			}
		case '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return w, 0, &SyntaxError{Msg: "syntax error: unterminated quoted string"}
			}
			addLit(s[i+1:i+1+j], true)
			if j == 0 {
				flush()
				w.segs = append(w.segs, segment{kind: segLit, quoted: true})
			}
			i += j + 2
		case '"':
			i++
			start := len(w.segs)
			for {
				if i >= len(s) {
					return w, 0, &SyntaxError{Msg: "syntax error: unterminated quoted string"}
				}
				if s[i] == '"' {
					i++
					break
				}
				switch s[i] {
				case '\\':
					if i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
						addLit(string(s[i+1]), true)
						i += 2
					} else {
						addLit("\\", true)
						i++
					}
				case '$', '`':
					if err := dollar(true); err != nil {
						return w, 0, err
					}
				default:
					addLit(string(s[i]), true)
					i++
				}
			}
			if len(w.segs) == start && lit.Len() == 0 {
				w.segs = append(w.segs, segment{kind: segLit, quoted: true}) // ""
			}
		case '$', '`':
			if err := dollar(false); err != nil {
				return w, 0, err
			}
		default:
			addLit(string(c), false)
			i++
		}
	}
	flush()
	return w, i, nil
}

// lexDollar reads a $-expansion or a backquoted substitution at the start
// of s; n is 0 when the $ is literal.
func lexDollar(s string) (segment, int, error) {
	if s[0] == '`' {
		j := strings.IndexByte(s[1:], '`')
		if j < 0 {
			return segment{}, 0, &SyntaxError{Msg: "syntax error: unterminated quoted string"}
		}
		return segment{kind: segSubst, text: s[1 : 1+j]}, j + 2, nil
	}
	if len(s) < 2 {
		return segment{}, 0, nil
	}
	switch c := s[1]; {
	case c == '(':
		depth := 0
		for j := 1; j < len(s); j++ {
			switch s[j] {
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					return segment{kind: segSubst, text: s[2:j]}, j + 1, nil
				}
			}
		}
		return segment{}, 0, &SyntaxError{Msg: "syntax error: missing ')'"}
	case c == '{':
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return segment{}, 0, &SyntaxError{Msg: "syntax error: missing '}'"}
		}
		return segment{kind: segParam, text: s[2:j]}, j + 1, nil
	case c == '?' || c == '$' || c == '#' || c == '!' || (c >= '0' && c <= '9'):
		return segment{kind: segParam, text: string(c)}, 2, nil
	case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		j := 1
		for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
			j++
		}
		return segment{kind: segParam, text: s[1:j]}, j, nil
	}
	return segment{}, 0, nil
}

// parser builds the command tree from tokens.
type parser struct {
	toks []token
	pos  int
}

// Parse parses a script.
func parse(src string) (*list, error) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	l, err := p.list(nil)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.unexpected(t)
	}
	return l, nil
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.kind != tEOF {
		p.pos++
	}
	return t
}

func (p *parser) unexpected(t token) error {
	switch t.kind {
	case tEOF:
		return &SyntaxError{Msg: "syntax error: unexpected end of file"}
	case tOp:
		if t.op == "\n" {
			return &SyntaxError{Msg: "syntax error: unexpected newline"}
		}
		return &SyntaxError{Msg: fmt.Sprintf("syntax error: unexpected %q", t.op)}
	}
	s, _ := t.w.lit()
	return &SyntaxError{Msg: fmt.Sprintf("syntax error: unexpected %q", s)}
}

// reserved reports whether the next token is one of the reserved words.
func (p *parser) reserved(words ...string) (string, bool) {
	t := p.peek()
	if t.kind != tWord {
		return "", false
	}
	s, ok := t.w.lit()
	if !ok {
		return "", false
	}
	for _, w := range words {
		if s == w {
			return s, true
		}
	}
	return "", false
}

func (p *parser) skipNewlines() {
	for t := p.peek(); t.kind == tOp && (t.op == "\n" || t.op == ";"); t = p.peek() {
		p.next()
	}
}

// list parses and-or lists until EOF, ")" or one of the stop words.
func (p *parser) list(stop []string) (*list, error) {
	l := &list{}
	for {
		for t := p.peek(); t.kind == tOp && t.op == "\n"; t = p.peek() {
			p.next()
		}
		t := p.peek()
		if t.kind == tEOF || t.kind == tOp && t.op == ")" {
			return l, nil
		}
		if _, ok := p.reserved(stop...); ok {
			return l, nil
		}
		ao, err := p.andOr(stop)
		if err != nil {
			return nil, err
		}
		l.items = append(l.items, ao)
		t = p.peek()
		if t.kind == tOp && (t.op == ";" || t.op == "&" || t.op == "\n") {
			p.next()
			continue
		}
		return l, nil
	}
}

func (p *parser) andOr(stop []string) (node, error) {
	first, err := p.pipeline(stop)
	if err != nil {
		return nil, err
	}
	ao := &andOr{first: first}
	for {
		t := p.peek()
		if t.kind != tOp || (t.op != "&&" && t.op != "||") {
			break
		}
		p.next()
		for t := p.peek(); t.kind == tOp && t.op == "\n"; t = p.peek() {
			p.next()
		}
		n, err := p.pipeline(stop)
		if err != nil {
			return nil, err
		}
		ao.ops = append(ao.ops, t.op)
		ao.rest = append(ao.rest, n)
	}
	if len(ao.rest) == 0 {
		return first, nil
	}
	return ao, nil
}

func (p *parser) pipeline(stop []string) (node, error) {
	pl := &pipeline{}
	if _, ok := p.reserved("!"); ok {
		p.next()
		pl.negate = true
	}
	for {
		c, err := p.command(stop)
		if err != nil {
			return nil, err
		}
		pl.cmds = append(pl.cmds, c)
		if t := p.peek(); t.kind == tOp && t.op == "|" {
			p.next()
			for t := p.peek(); t.kind == tOp && t.op == "\n"; t = p.peek() {
				p.next()
			}
			continue
		}
		break
	}
	if len(pl.cmds) == 1 && !pl.negate {
		return pl.cmds[0], nil
	}
	return pl, nil
}

// doGroup reads a loop's body: do LIST done.
func (p *parser) doGroup() (*list, error) {
	if err := p.expect("do"); err != nil {
		return nil, err
	}
	body, err := p.list([]string{"done"})
	if err != nil {
		return nil, err
	}
	return body, p.expect("done")
}

func (p *parser) expect(word string) error {
	if _, ok := p.reserved(word); !ok {
		return p.unexpected(p.peek())
	}
	p.next()
	return nil
}

func (p *parser) command(stop []string) (node, error) {
	t := p.peek()
	if t.kind == tOp && t.op == "(" {
		p.next()
		body, err := p.list(nil)
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != tOp || t.op != ")" {
			return nil, p.unexpected(t)
		}
		g := &group{body: body, subshell: true}
		g.redirs, err = p.redirects()
		return g, err
	}
	if t.kind != tWord && !(t.kind == tOp && isRedirOp(t.op)) {
		return nil, p.unexpected(t)
	}
	if kw, ok := p.reserved("while", "until", "for", "if", "{"); ok {
		p.next()
		switch kw {
		case "while", "until":
			cond, err := p.list([]string{"do"})
			if err != nil {
				return nil, err
			}
			body, err := p.doGroup()
			if err != nil {
				return nil, err
			}
			return &whileCmd{until: kw == "until", cond: cond, body: body}, nil
		case "for":
			nt := p.next()
			name, ok := nt.w.lit()
			if nt.kind != tWord || !ok || !validName(name) {
				return nil, &SyntaxError{Msg: "syntax error: bad for loop variable"}
			}
			f := &forCmd{name: name}
			for t := p.peek(); t.kind == tOp && t.op == "\n"; t = p.peek() {
				p.next()
			}
			if _, ok := p.reserved("in"); ok {
				p.next()
				f.inSet = true
				for p.peek().kind == tWord {
					f.items = append(f.items, p.next().w)
				}
			}
			p.skipNewlines()
			body, err := p.doGroup()
			if err != nil {
				return nil, err
			}
			f.body = body
			return f, nil
		case "if":
			ic := &ifCmd{}
			for {
				cond, err := p.list([]string{"then"})
				if err != nil {
					return nil, err
				}
				if err := p.expect("then"); err != nil {
					return nil, err
				}
				then, err := p.list([]string{"elif", "else", "fi"})
				if err != nil {
					return nil, err
				}
				ic.conds, ic.thens = append(ic.conds, cond), append(ic.thens, then)
				kw, ok := p.reserved("elif", "else", "fi")
				if !ok {
					return nil, p.unexpected(p.peek())
				}
				p.next()
				if kw == "elif" {
					continue
				}
				if kw == "else" {
					els, err := p.list([]string{"fi"})
					if err != nil {
						return nil, err
					}
					ic.els = els
					if err := p.expect("fi"); err != nil {
						return nil, err
					}
				}
				return ic, nil
			}
		case "{":
			body, err := p.list([]string{"}"})
			if err != nil {
				return nil, err
			}
			if err := p.expect("}"); err != nil {
				return nil, err
			}
			g := &group{body: body}
			g.redirs, err = p.redirects()
			return g, err
		}
	}
	if kw, ok := p.reserved("do", "done", "then", "elif", "else", "fi", "}", "in"); ok {
		return nil, &SyntaxError{Msg: fmt.Sprintf("syntax error: unexpected %q", kw)}
	}
	sc := &simpleCmd{}
	for {
		t := p.peek()
		switch {
		case t.kind == tWord:
			if len(sc.words) == 0 {
				if name, value, ok := assignment(t.w); ok {
					p.next()
					sc.assigns = append(sc.assigns, name)
					sc.values = append(sc.values, value)
					continue
				}
			}
			p.next()
			sc.words = append(sc.words, t.w)
		case t.kind == tOp && isRedirOp(t.op):
			r, err := p.redirect()
			if err != nil {
				return nil, err
			}
			sc.redirs = append(sc.redirs, r)
		default:
			return sc, nil
		}
	}
}

func (p *parser) redirects() ([]redirect, error) {
	var rs []redirect
	for t := p.peek(); t.kind == tOp && isRedirOp(t.op); t = p.peek() {
		r, err := p.redirect()
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	return rs, nil
}

func (p *parser) redirect() (redirect, error) {
	t := p.next()
	r := redirect{fd: t.fd, op: t.op}
	if r.fd < 0 {
		r.fd = 1
		if t.op == "<" {
			r.fd = 0
		}
	}
	wt := p.next()
	if wt.kind != tWord {
		return r, p.unexpected(wt)
	}
	r.target = wt.w
	return r, nil
}

func isRedirOp(op string) bool { return op == ">" || op == ">>" || op == "<" || op == ">&" }

// assignment splits NAME=value.
func assignment(w word) (string, word, bool) {
	if len(w.segs) == 0 || w.segs[0].kind != segLit || w.segs[0].quoted {
		return "", word{}, false
	}
	name, rest, ok := strings.Cut(w.segs[0].text, "=")
	if !ok || !validName(name) {
		return "", word{}, false
	}
	value := word{segs: append([]segment{{kind: segLit, text: rest}}, w.segs[1:]...)}
	return name, value, true
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if c != '_' && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
