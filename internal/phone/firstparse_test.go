package phone_test

import (
	"bytes"
	"os"
	"os/exec"
	"sync"
	"testing"

	"github.com/businessapp/usermanagement/internal/phone"
)

// firstParseChild marks the fresh process in which TestFirstParses runs
// its parses: in this test binary another test may already have loaded the
// library's metadata, and what is tested is the load itself.
const firstParseChild = "PHONE_TEST_FIRST_PARSE_CHILD"

// TestFirstParses checks that the parses that load the phone library's
// metadata (it loads on first use, third_party/phonenumbers/FORK.md) give
// the same answers as later ones when several requests race to be first. It
// runs them in a fresh process, so that they really are the first; under
// -race the race detector watches the load.
func TestFirstParses(t *testing.T) {
	if os.Getenv(firstParseChild) != "" {
		t.Skip("only the parent process runs the check")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestFirstParsesChild$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), firstParseChild+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the fresh process failed: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("--- PASS: TestFirstParsesChild")) {
		t.Fatalf("the fresh process did not run the parses:\n%s", out)
	}
}

// TestFirstParsesChild is TestFirstParses's fresh process; run alone it
// does nothing.
func TestFirstParsesChild(t *testing.T) {
	if os.Getenv(firstParseChild) == "" {
		t.Skip("run by TestFirstParses in a fresh process")
	}
	cases := []struct{ raw, want string }{
		{"+1 (415) 555-0100", "+14155550100"},
		{"415 555 0100", "+14155550100"},
		{"+44 20 7946 0958", "+442079460958"},
		{"+49 30 901820", "+4930901820"},
		{"+81 3-1234-5678", "+81312345678"},
	}
	refused := []string{"+1 000 000 0000", "+999 1234", "020 7946 0958"}
	const workers = 16
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			// Each worker starts at a different case, so that first
			// parses of different regions race with each other.
			for i := range cases {
				c := cases[(w+i)%len(cases)]
				got, err := phone.Normalizer{}.NormalizePhone(c.raw)
				if err != nil || got != c.want {
					t.Errorf("NormalizePhone(%q) = %q, %v; want %q", c.raw, got, err, c.want)
				}
			}
			for _, raw := range refused {
				if got, err := (phone.Normalizer{}).NormalizePhone(raw); err == nil {
					t.Errorf("NormalizePhone(%q) = %q, want it refused", raw, got)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
}
