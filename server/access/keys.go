// Package access says who a request is, before the handlers run: the keys
// derived from the deployment's secret and what they sign or hash (voter cookies and the voter
// keys the store keeps, proof-of-work challenges, screen tokens, the keyed hashes of sources),
// the client's address behind trusted proxies, the roles of bearer tokens, and the limits per
// voter and per source. Its middleware (TokenGuard, Require, RateLimit, PageLimit) answers with
// this package's errors, which package server turns into HTTP answers with its own. It knows
// the request (Fiber: the voter cookie, the headers, the middleware's place in a route) and the
// domain's types, never the store, the hub or the handlers; package server uses it.
package access

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"sync"
)

// Keys derives every secret value of the server from LIVEVOTE_SECRET, each for one purpose, so that
// no two uses share a key.
type Keys struct {
	cookie, voterHash, challenge, source, screen macs
}

// NewKeys derives the keys from the deployment's secret; every instance that shares it derives
// the same.
func NewKeys(secret []byte) Keys {
	derive := func(purpose string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte("livevote/" + purpose))
		return m.Sum(nil)
	}
	return Keys{cookie: newMACs(derive("cookie")), voterHash: newMACs(derive("voter")),
		challenge: newMACs(derive("challenge")), source: newMACs(derive("source")),
		screen: newMACs(derive("screen"))}
}

// macs hands out HMAC-SHA256s of one key with the buffers of one use, so that a request does not
// set one up (the key's two hash blocks and the allocations) for each use: a vote uses six.
type macs struct{ pool *sync.Pool } // of *keyedMAC

// keyedMAC is one HMAC of a macs's key, its message as built so far, and its sum.
type keyedMAC struct {
	h   hash.Hash
	msg []byte
	sum [sha256.Size]byte
}

func newMACs(key []byte) macs {
	return macs{&sync.Pool{New: func() any { return &keyedMAC{h: hmac.New(sha256.New, key)} }}}
}

// digest returns HMAC(key, the message that build appends to msg). It allocates nothing once the
// pool's buffers have grown to the messages' size.
func (m macs) digest(build func(msg []byte) []byte) [sha256.Size]byte {
	km := m.pool.Get().(*keyedMAC)
	km.msg = build(km.msg[:0])
	km.h.Reset()
	km.h.Write(km.msg)
	km.h.Sum(km.sum[:0])
	sum := km.sum
	m.pool.Put(km)
	return sum
}

// sum returns HMAC(key, each part followed by a 0 byte).
func (m macs) sum(parts ...string) []byte {
	sum := m.digest(func(msg []byte) []byte {
		for _, p := range parts {
			msg = append(append(msg, p...), 0)
		}
		return msg
	})
	return sum[:]
}
