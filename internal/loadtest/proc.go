package loadtest

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat: 100 on Linux.
const clockTicks = 100

// procSampler reads a process's CPU time and resident memory (Linux /proc) at the start of the
// timed window (sample 0), at its end (1) and when the last request of the window was answered (2).
type procSampler struct {
	pid int

	mu   sync.Mutex
	at   [3]time.Time
	user [3]float64 // CPU seconds in user mode, all threads
	sys  [3]float64 // CPU seconds in the kernel, all threads
	rss  [3]int64   // KiB
	errs []string
}

func newProcSampler(pid int) *procSampler { return &procSampler{pid: pid} }

func (p *procSampler) sample(i int) {
	now := time.Now()
	user, sys, err1 := procCPU(p.pid)
	rss, err2 := procRSS(p.pid)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.at[i], p.user[i], p.sys[i], p.rss[i] = now, user, sys, rss
	for _, err := range []error{err1, err2} {
		if err != nil {
			p.errs = append(p.errs, err.Error())
		}
	}
}

// procReport is a process's use of the machine over the window.
type procReport struct {
	PID    int           `json:"pid"`
	Window time.Duration `json:"window_ns"`
	CPU    float64       `json:"cpu_seconds"`
	// CPUUser and CPUSystem split CPU: the process's own code, and the kernel's work on its
	// behalf (its system calls: on loopback a socket write also does the receiver's TCP work).
	CPUUser   float64 `json:"cpu_user_seconds"`
	CPUSystem float64 `json:"cpu_system_seconds"`
	RSSStart  int64   `json:"rss_start_kib"`
	RSSEnd    int64   `json:"rss_end_kib"`
	// PerMessage is CPU microseconds per message the dashboards received in the window.
	PerMessage float64 `json:"cpu_us_per_message"`
	// PerRequest is CPU microseconds per acknowledged request (vote or /healthz), from the start
	// of the window to the last answer.
	PerRequest float64  `json:"cpu_us_per_request"`
	Errors     []string `json:"errors,omitempty"`
}

// report returns the figures; messages is what the dashboards got in the window, acked what was
// acknowledged by the last answer (sample 2, when taken).
func (p *procSampler) report(messages, acked int64) *procReport {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := &procReport{PID: p.pid, Window: p.at[1].Sub(p.at[0]),
		CPUUser: p.user[1] - p.user[0], CPUSystem: p.sys[1] - p.sys[0],
		RSSStart: p.rss[0], RSSEnd: p.rss[1], Errors: p.errs}
	r.CPU = r.CPUUser + r.CPUSystem
	if messages > 0 {
		r.PerMessage = r.CPU * 1e6 / float64(messages)
	}
	if acked > 0 && !p.at[2].IsZero() {
		r.PerRequest = (p.user[2] - p.user[0] + p.sys[2] - p.sys[0]) * 1e6 / float64(acked)
	}
	return r
}

// procCPU returns the CPU time the process used so far in user mode and in the kernel, in seconds.
func procCPU(pid int) (user, sys float64, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces: count from its end.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("/proc/%d/stat: no command", pid)
	}
	f := bytes.Fields(b[i+1:])
	if len(f) < 13 { // f[0] is field 3 (state); utime and stime are fields 14 and 15
		return 0, 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	stime, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("/proc/%d/stat: utime %q, stime %q", pid, f[11], f[12])
	}
	return float64(utime) / clockTicks, float64(stime) / clockTicks, nil
}

// procRSS returns the process's resident set size in KiB.
func procRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := bytes.Fields(v)
			if len(f) > 0 {
				return strconv.ParseInt(string(f[0]), 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("/proc/%d/status: no VmRSS", pid)
}
