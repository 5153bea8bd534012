package translog_test

import (
	"crypto"
	_ "crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/livevote/livevote/translog"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/tlog"
)

// The tree's roots and proofs are checked with transparency-dev/merkle, an implementation of RFC
// 6962 independent of the golang.org/x/mod/sumdb/tlog code the tree uses.
func TestTreeAgreesWithTransparencyDevMerkle(t *testing.T) {
	const n = 70
	hasher, tree, leaves, roots := growTree(t, n)
	for size := int64(0); size <= n; size++ {
		for i := int64(0); i < size; i++ {
			p, err := tree.Inclusion(i, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(hasher, uint64(i), uint64(size), hasher.HashLeaf(leaves[i]), raw(p), roots[size]); err != nil {
				t.Fatalf("inclusion of %d in %d: %v", i, size, err)
			}
			// A proof for another leaf does not verify.
			if err := proof.VerifyInclusion(hasher, uint64(i), uint64(size), hasher.HashLeaf([]byte("forged")), raw(p), roots[size]); err == nil {
				t.Fatalf("a forged leaf verified at %d in %d", i, size)
			}
		}
		for m := int64(1); m <= size; m++ {
			p, err := tree.Consistency(m, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyConsistency(hasher, uint64(m), uint64(size), raw(p), roots[m], roots[size]); err != nil {
				t.Fatalf("consistency %d -> %d: %v", m, size, err)
			}
			if m > 1 && m < size {
				if err := proof.VerifyConsistency(hasher, uint64(m-1), uint64(size), raw(p), roots[m-1], roots[size]); err == nil {
					t.Fatalf("consistency proof %d -> %d verified for %d", m, size, m-1)
				}
			}
		}
	}
	if _, err := tree.Inclusion(0, n+1); err == nil {
		t.Error("a proof beyond the tree's size")
	}
}

// A large tree (its hashes in several of the tree's chunks, about 80,000 of them) agrees with
// transparency-dev/merkle at every size, and its proofs verify: leaves and sizes on either side of
// the chunks' boundaries, and a sample of the rest.
func TestLargeTreeAgreesWithTransparencyDevMerkle(t *testing.T) {
	const n = 40_000
	hasher, tree, leaves, roots := growTree(t, n)
	rng := rand.New(rand.NewPCG(1, 2))
	for k := range 3000 {
		size := 1 + rng.Int64N(n)
		i := rng.Int64N(size)
		if k%2 == 0 {
			// a leaf whose stored hashes are near a multiple of 2^12 (every chunk boundary is one)
			i = min(size-1, int64(k/2%10)<<11+rng.Int64N(4))
		}
		p, err := tree.Inclusion(i, size)
		if err != nil {
			t.Fatal(err)
		}
		if err := proof.VerifyInclusion(hasher, uint64(i), uint64(size), hasher.HashLeaf(leaves[i]), raw(p), roots[size]); err != nil {
			t.Fatalf("inclusion of %d in %d: %v", i, size, err)
		}
		m := 1 + rng.Int64N(size)
		c, err := tree.Consistency(m, size)
		if err != nil {
			t.Fatal(err)
		}
		if err := proof.VerifyConsistency(hasher, uint64(m), uint64(size), raw(c), roots[m], roots[size]); err != nil {
			t.Fatalf("consistency %d -> %d: %v", m, size, err)
		}
	}
}

// growTree appends n leaves to a Tree and to transparency-dev/merkle's compact range, and checks
// that the two agree on the root at every size; it returns the tree, the leaves and the roots
// (roots[k]: of the first k leaves, by transparency-dev).
func growTree(t *testing.T, n int) (*rfc6962.Hasher, *translog.Tree, [][]byte, [][]byte) {
	t.Helper()
	hasher := rfc6962.New(crypto.SHA256)
	var tree translog.Tree
	rf := &compact.RangeFactory{Hash: hasher.HashChildren}
	cr := rf.NewEmptyRange(0)
	roots := [][]byte{hasher.EmptyRoot()}
	leaves := make([][]byte, n)
	for i := range n {
		leaves[i] = fmt.Appendf(nil, `{"type":"ballot","n":%d}`, i)
		if _, err := tree.Append(leaves[i]); err != nil {
			t.Fatal(err)
		}
		if err := cr.Append(hasher.HashLeaf(leaves[i]), nil); err != nil {
			t.Fatal(err)
		}
		root, err := cr.GetRootHash(nil)
		if err != nil {
			t.Fatal(err)
		}
		roots = append(roots, root)
	}
	for size := int64(0); size <= int64(n); size++ {
		root, err := tree.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		if string(root[:]) != string(roots[size]) {
			t.Fatalf("root of %d leaves: tlog %x, transparency-dev %x", size, root, roots[size])
		}
	}
	return hasher, &tree, leaves, roots
}

func raw[T ~[]tlog.Hash](hs T) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = h[:]
	}
	return out
}

func unbase64(tb testing.TB, ss []string) [][]byte {
	tb.Helper()
	out := make([][]byte, len(ss))
	for i, s := range ss {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = b
	}
	return out
}
