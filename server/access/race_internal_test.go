//go:build race

package access

// The race detector's sync.Pool drops items at random, so allocation counts of pooled code say
// nothing under it.
func init() { raceBuild = true }
