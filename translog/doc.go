// Package translog makes a poll's ballot log a transparency log, as Certificate Transparency and
// the Go checksum database do: every log entry is one leaf of an RFC 6962 Merkle tree, in log
// order; the tree's head is published as a C2SP tlog-checkpoint in a signed note (Ed25519); anyone
// can ask for an inclusion proof of one entry or a consistency proof between two tree sizes, and
// anyone with an export can rebuild the root and recount.
//
// The hashing, proofs and notes are golang.org/x/mod/sumdb/tlog and golang.org/x/mod/sumdb/note;
// nothing here computes a proof by hand. The package imports the domain (vote) only: no Redis, no
// Fiber.
//
// One place turns log order into tree order: Sequencer.sync (sequencer.go). Every instance runs
// its own Sequencer over the same store log; since leaves, hashes and Ed25519 signatures are all
// deterministic, every instance publishes byte-identical checkpoints at the same tree size with
// no coordination, and an instance that restarts (or a Redis that restarts with its data)
// rebuilds the same tree from the log.
package translog
