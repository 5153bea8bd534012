package loadtest

import (
	"os"
	"testing"
	"time"
)

// The report splits the process's CPU into user and system time, and its total is their sum.
func TestProcReportSplitsCPU(t *testing.T) {
	p := newProcSampler(os.Getpid())
	p.sample(0)
	u0, _, err := procCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Spin in user mode until /proc counts at least two clock ticks more of it.
	x := uint64(1)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		for range 1 << 16 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		if u, _, _ := procCPU(os.Getpid()); u-u0 >= 2.0/clockTicks {
			break
		}
	}
	p.sample(1)
	r := p.report(0, 0)
	if len(r.Errors) > 0 || x == 0 {
		t.Fatal(r.Errors)
	}
	if r.CPUUser < 2.0/clockTicks || r.CPUSystem < 0 {
		t.Fatalf("user %v s, system %v s: want at least the spin's 0.02 s of user time", r.CPUUser, r.CPUSystem)
	}
	if r.CPU != r.CPUUser+r.CPUSystem {
		t.Fatalf("cpu_seconds %v, want user + system = %v", r.CPU, r.CPUUser+r.CPUSystem)
	}
}
