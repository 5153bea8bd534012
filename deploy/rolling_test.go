package deploy_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// failTimeout reads how long nginx leaves an instance out after a failed connection
// (fail_timeout of deploy/nginx.conf's upstream servers).
func failTimeout(t *testing.T) time.Duration {
	t.Helper()
	m := regexp.MustCompile(`fail_timeout=(\d+)s`).FindStringSubmatch(string(readFile(t, "deploy/nginx.conf")))
	if m == nil {
		t.Fatal("deploy/nginx.conf: no fail_timeout=Ns")
	}
	n, _ := strconv.Atoi(m[1])
	return time.Duration(n) * time.Second
}

// TestProxyRollingRestart upgrades the instances behind the stack's nginx as docs/OPERATING.md
// says (stop one with SIGTERM, start it again on its address, wait until it is ready and nginx
// takes it back, then the next) while voters vote through the proxy without pause. No ballot may
// be lost: every acknowledged one is recorded, and the store holds no more ballots than were
// sent (a vote whose answer got lost may be recorded; none twice).
func TestProxyRollingRestart(t *testing.T) {
	nginx := tool(t, "nginx", "LIVEVOTE_REQUIRE_PROXY")
	env := append(instanceEnv(t), "LIVEVOTE_RATE_LIMIT=0")
	addrs := []string{"127.0.0.1:" + strconv.Itoa(freePort(t)), "127.0.0.1:" + strconv.Itoa(freePort(t))}
	instances := []instance{startInstance(t, addrs[0], env...), startInstance(t, addrs[1], env...)}
	proxy, _ := startNginx(t, nginx, instances)
	poll := newVoter(t, proxy, voterA).firstPoll()

	// Voters, one after another on each of 4 connections, each with a new cookie.
	var (
		mu       sync.Mutex
		acked    []string
		unsure   int // attempts without a 201: each may or may not have been recorded
		failures = map[string]int{}
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				code, receipt, err := newVoter(t, proxy, voterA).cast(poll, "a", nil)
				mu.Lock()
				switch {
				case code == http.StatusCreated:
					acked = append(acked, receipt)
				case err != nil:
					unsure++
					failures[strconv.Itoa(code)+" "+firstLine(err.Error())]++
				}
				mu.Unlock()
			}
		}()
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(acked) }
	waitVotes := func(n int) {
		deadline := time.Now().Add(liveWait)
		for count() < n {
			if time.Now().After(deadline) {
				t.Fatalf("only %d ballots acknowledged through the proxy in %s", count(), liveWait)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	waitVotes(20)
	for i := range instances {
		instances[i].Stop()
		before := count()
		waitVotes(before + 20) // the other instance carries the votes alone
		instances[i] = startInstance(t, addrs[i], env...)
		if res, err := http.Get(instances[i].URL + "/readyz"); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("restarted instance not ready: %v", err)
		}
		time.Sleep(failTimeout(t) + time.Second) // nginx tries it again after fail_timeout
	}
	waitVotes(count() + 20)
	close(stop)
	wg.Wait()

	var results struct{ Ballots int }
	newVoter(t, proxy, voterB).getJSON("/api/v1/polls/"+poll+"/results", http.Header{"Authorization": {"Bearer " + adminToken}}, &results)
	t.Logf("%d ballots acknowledged, %d recorded; votes without a 201: %v", len(acked), results.Ballots, failures)
	if results.Ballots < len(acked) || results.Ballots > len(acked)+unsure {
		t.Errorf("%d ballots recorded, %d acknowledged, %d attempts without a 201", results.Ballots, len(acked), unsure)
	}
	for _, r := range acked {
		res, err := http.Get(instances[0].URL + "/api/v1/receipts/" + r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("acknowledged receipt %s: %s", r, res.Status)
		}
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}
