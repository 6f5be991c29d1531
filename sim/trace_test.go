package sim

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

// escapeReference is the escaping the trace hashes of every run were made
// with, written rune by rune (as appendJSONChars first was): the faster
// version must give the same bytes. Invalid UTF-8 becomes U+FFFD, as
// encoding/json writes it; U+2028 and U+2029 are not escaped.
func escapeReference(b []byte, s string) []byte {
	short := map[rune]string{'"': `\"`, '\\': `\\`, '\n': `\n`, '\r': `\r`, '\t': `\t`}
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD"):
			b = append(b, `\ufffd`...)
		case short[r] != "":
			b = append(b, short[r]...)
		case r < 0x20 || r == '<' || r == '>' || r == '&':
			b = fmt.Appendf(b, `\u%04x`, r)
		default:
			b = utf8.AppendRune(b, r)
		}
	}
	return b
}

var escapeSamples = []string{
	"", "plain", `q"uote`, `back\slash`, "a\nb\rc\td", "\x00\x01\x1f\x7f", "<a>&b", "héllo wörld ✓",
	"\xff", "a\xffb", "\uFFFD", "x\uFFFDy", "\xe2\x82", "ok\xe2\x82", "\xe2\x82\xac€", "\u2028\u2029", "tail<", ">head",
	`Normal Pulled: Container image "nginx:1.27" already present on machine`,
}

func TestAppendJSONCharsMatchesReference(t *testing.T) {
	for _, s := range escapeSamples {
		require.Equal(t, string(escapeReference([]byte("x"), s)), string(appendJSONChars([]byte("x"), s)), "%q", s)
	}
	// Every byte value alone and between plain characters.
	for c := range 256 {
		for _, s := range []string{string([]byte{byte(c)}), "ab" + string([]byte{byte(c)}) + "cd"} {
			require.Equal(t, string(escapeReference(nil, s)), string(appendJSONChars(nil, s)), "%q", s)
		}
	}
}

func FuzzAppendJSONChars(f *testing.F) {
	for _, s := range escapeSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendJSONChars(nil, s), escapeReference(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("%q: got %q, want %q", s, got, want)
		}
	})
}

// The trace reuses the start of the last line while the time stays; the
// lines must be AppendJSON's whatever the sequence of times.
func TestTraceLinesAsAppendJSONAcrossTimes(t *testing.T) {
	tr := NewTrace()
	var buf bytes.Buffer
	tr.SetWriter(&buf)
	var want strings.Builder
	for i, at := range []time.Duration{0, 0, time.Millisecond, time.Millisecond, 90 * time.Minute, 0, 1500 * time.Millisecond, 1500 * time.Millisecond} {
		r := Record{T: at, Component: "c", Verb: "v", Kind: "Pod", Namespace: "ns", Name: "p", RV: int64(i), Summary: "s<"}
		tr.Add(r)
		want.Write(r.AppendJSON(nil))
		want.WriteByte('\n')
	}
	require.Equal(t, want.String(), buf.String())
}

func BenchmarkTraceAdd(b *testing.B) {
	tr := NewTrace()
	r := Record{T: 1500 * time.Millisecond, Component: "kubelet/general-17", Verb: "event", Kind: "Event", Namespace: "default",
		Name: "web-7d9f8c6b5-x2k4q.187e1c2a3b4c5d6e", RV: 123456, Summary: `Normal Pulled: Container image "nginx:1.27" already present on machine`}
	b.ReportAllocs()
	for b.Loop() {
		tr.Add(r)
	}
}

// Writing a line allocates nothing, with cause links kept or not (the
// line buffer, the time and the links' slice are reused or amortized).
func TestTraceAddAllocatesNothing(t *testing.T) {
	for _, links := range []bool{false, true} {
		tr := NewTrace()
		if links {
			tr.KeepLinks()
		}
		r := Record{T: time.Second, Component: "kubelet/n-1", Verb: "status", Kind: "Pod", Namespace: "default", Name: "web-1", RV: 7, Summary: "Running"}
		tr.Add(r)
		require.Zero(t, testing.AllocsPerRun(1000, func() { tr.Add(r) }), "links %v", links)
		if links {
			require.Equal(t, tr.Len(), tr.LastOf("Pod", "default", "web-1"))
		}
	}
}
