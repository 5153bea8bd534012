package sched

import (
	"testing"

	"go.uber.org/goleak"
)

// Every test leaves no goroutine behind: no writer, no pool goroutine, no pipe reader.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
