package kubectl

import "strings"

// SplitWords tokenises a command line the way a POSIX shell splits words:
// blanks separate words, single quotes keep everything literally, double
// quotes keep blanks but honour backslash escapes of \ " $ and `, and a
// backslash outside quotes escapes the next character. Scenario files
// write `kubectl: annotate pod x note="two words"` and expect the shell's
// meaning.
func SplitWords(line string) ([]string, error) {
	var (
		words   []string
		cur     strings.Builder
		inWord  bool
		quote   byte // 0, '\'' or '"'
		escaped bool
	)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case escaped:
			cur.WriteByte(c)
			escaped = false
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case quote == '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\' && i+1 < len(line) && strings.IndexByte("\\\"$`", line[i+1]) >= 0:
				i++
				cur.WriteByte(line[i])
			default:
				cur.WriteByte(c)
			}
		case c == '\\':
			escaped, inWord = true, true
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, errorf("unterminated %c quote in command line", quote)
	}
	if escaped {
		return nil, errorf("command line ends with an unfinished backslash escape")
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}
