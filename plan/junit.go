package plan

import (
	"encoding/xml"
	"fmt"
	"io"
)

// JUnit XML, the shape CI systems read (testsuites > testsuite >
// testcase, a failure element on a failed case).

// JUnitSuites is the document root.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one suite (one scenario, or one plan candidate).
type JUnitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Cases    []JUnitCase `xml:"testcase"`
}

// JUnitCase is one expectation (or SLO) in one seed.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *JUnitFailure `xml:"failure,omitempty"`
	// Error: the run itself broke (the scenario could not be built or
	// the simulation stopped), as opposed to a missed expectation.
	Error     *JUnitFailure `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// JUnitFailure says why a case failed (or errored).
type JUnitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// add appends a case and counts it.
func (s *JUnitSuite) add(c JUnitCase) {
	s.Cases = append(s.Cases, c)
	s.Tests++
	switch {
	case c.Error != nil:
		s.Errors++
	case c.Failure != nil:
		s.Failures++
	}
}

// Write prints the document with its XML header.
func (j *JUnitSuites) Write(w io.Writer) error {
	j.Tests, j.Failures, j.Errors = 0, 0, 0
	for _, s := range j.Suites {
		j.Tests += s.Tests
		j.Failures += s.Failures
		j.Errors += s.Errors
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(j); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w)
	return err
}

// JUnit is the plan report as JUnit XML: a suite per candidate, a case
// per run (its missed SLOs in the failure, a run that broke as an error).
func (rep *Report) JUnit() *JUnitSuites {
	doc := &JUnitSuites{Name: "kubesim plan " + rep.Plan}
	for _, c := range rep.Candidates {
		suite := JUnitSuite{Name: c.Name}
		for _, r := range rep.results {
			if r.Candidate != c.Name {
				continue
			}
			name := fmt.Sprintf("%s seed %d", r.Variant, r.Seed)
			jc := JUnitCase{Name: name, ClassName: "plan." + rep.Plan + "." + c.Name, Time: "0"}
			switch {
			case r.Error != "":
				jc.Error = &JUnitFailure{Message: "run failed", Type: "error", Text: r.Error + "\nreproduce: " + reproduce(rep.out, &r)}
			case len(r.Failures) > 0:
				msg := ""
				for _, f := range r.Failures {
					if msg != "" {
						msg += "\n"
					}
					msg += f.SLO + ": " + f.Expectation + ": " + f.Message
				}
				jc.Failure = &JUnitFailure{Message: "SLO missed", Type: "slo", Text: msg + "\nreproduce: " + reproduce(rep.out, &r)}
			}
			suite.add(jc)
		}
		doc.Suites = append(doc.Suites, suite)
	}
	return doc
}
