package translog

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// Tree is an RFC 6962 Merkle tree kept in memory as the stored hashes of golang.org/x/mod/sumdb/tlog
// (about two hashes, 64 bytes, per leaf). Appending a leaf and proving are tlog's; Tree only keeps
// the hashes, in chunks of chunkHashes: an append never copies the hashes stored before it (one
// slice would be copied whole each time it grows: 2-3% of the server's CPU at the vote's peak,
// and a pause of the sequencer as long as the copy in a log of millions). The zero value is an
// empty tree. A Tree is not safe for concurrent use: its owner serialises appends, and reads of a
// size already reached may run beside an append only when the owner guards the tree (Sequencer
// does, with its lock).
type Tree struct {
	chunks [][]tlog.Hash // hash x is chunks[x/chunkHashes][x%chunkHashes] (tlog.StoredHashIndex)
	stored int64         // hashes stored
	size   int64
}

// chunkHashes is how many hashes a chunk holds (512 KiB of them). The first chunk grows as a slice
// does, so that a small poll's tree stays small.
const chunkHashes = 1 << 14

// Size returns the number of leaves.
func (t *Tree) Size() int64 { return t.size }

// ReadHashes implements tlog.HashReader.
func (t *Tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= t.stored {
			return nil, fmt.Errorf("translog: hash %d not stored (%d stored)", x, t.stored)
		}
		out[i] = t.hash(x)
	}
	return out, nil
}

// Append adds one leaf (its bytes) and returns its index.
func (t *Tree) Append(leaf []byte) (int64, error) {
	hs, err := tlog.StoredHashes(t.size, leaf, t)
	if err != nil {
		return 0, err
	}
	for _, h := range hs {
		c := int(t.stored / chunkHashes)
		if c == len(t.chunks) {
			var chunk []tlog.Hash // the first grows as a slice does
			if c > 0 {
				chunk = make([]tlog.Hash, 0, chunkHashes)
			}
			t.chunks = append(t.chunks, chunk)
		}
		t.chunks[c] = append(t.chunks[c], h)
		t.stored++
	}
	t.size++
	return t.size - 1, nil
}

// hash returns stored hash x (0 <= x < t.stored).
func (t *Tree) hash(x int64) tlog.Hash { return t.chunks[x/chunkHashes][x%chunkHashes] }

// Root returns the root hash of the tree of the first n leaves (RFC 6962; the empty tree's is
// SHA-256 of nothing).
func (t *Tree) Root(n int64) (tlog.Hash, error) {
	if n > t.size {
		return tlog.Hash{}, ErrNotInCheckpoint
	}
	return tlog.TreeHash(n, t)
}

// LeafHash returns the hash of leaf i (RFC 6962: SHA-256(0x00 || leaf)).
func (t *Tree) LeafHash(i int64) (tlog.Hash, error) {
	if i < 0 || i >= t.size {
		return tlog.Hash{}, ErrNotInCheckpoint
	}
	return t.hash(tlog.StoredHashIndex(0, i)), nil
}

// Inclusion returns the RFC 6962 audit path of leaf i in the tree of size n, leaf to root.
func (t *Tree) Inclusion(i, n int64) (tlog.RecordProof, error) {
	if i < 0 || i >= n || n > t.size {
		return nil, ErrNotInCheckpoint
	}
	return tlog.ProveRecord(n, i, t)
}

// Consistency returns the RFC 6962 consistency proof that the tree of size n extends the tree
// of size m (0 < m <= n).
func (t *Tree) Consistency(m, n int64) (tlog.TreeProof, error) {
	if m <= 0 || m > n || n > t.size {
		return nil, ErrNotInCheckpoint
	}
	return tlog.ProveTree(n, m, t)
}
