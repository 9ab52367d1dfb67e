package store

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"saoma/app"
)

// crashWriter is the child process: it creates and confirms orders forever
// and prints each out_trade_no only after Confirm returned.
func crashWriter(path string) int {
	s, err := Open(path, Options{Timeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for i := 0; ; i++ {
		now := time.Now()
		no, err := s.NextOutTradeNo("K9", now)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		o := newOrder(no, now)
		if err := s.Create(o); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		if _, _, err := s.Confirm(paidConfirmation(o, "TX"+no, now), now); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Println(no)
	}
}

func TestCrashKeepsEveryAcknowledgedSale(t *testing.T) {
	path := filepath.Join(t.TempDir(), LedgerFile)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	acked := map[string]bool{}
	for round := 0; round < 20; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashWriterEnv+"="+path)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill after a random number of acknowledgements: the child is then
		// somewhere inside its next create or confirm.
		killAfter := 1 + rng.IntN(15)
		sc := bufio.NewScanner(out)
		n := 0
		for n < killAfter && sc.Scan() {
			no := sc.Text()
			if acked[no] {
				t.Fatalf("round %d: %s acknowledged twice", round, no)
			}
			acked[no] = true
			n++
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if n < killAfter {
			t.Fatalf("round %d: child stopped after %d sales: %s", round, n, stderr.String())
		}

		s, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		if err := s.Check(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		for no := range acked {
			o, err := s.Get(no)
			if err != nil || o.State != app.StatePaid {
				t.Fatalf("round %d: acknowledged sale %s: %v, %v", round, no, o.State, err)
			}
			if c := dayIndexCount(t, s, no); c != 1 {
				t.Fatalf("round %d: %s is %d times in the day index", round, no, c)
			}
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
