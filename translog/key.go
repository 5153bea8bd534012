package translog

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// keyLabel separates the log key from every other key livevote derives from the same secret.
const keyLabel = "livevote transparency log signing key v1"

// CheckName says why name cannot name a log (nil: it can): a note key name and the start of a
// C2SP origin must be non-empty valid UTF-8 with no space and no '+'.
func CheckName(name string) error {
	switch {
	case name == "" || !utf8.ValidString(name):
		return errors.New("a log name must be non-empty UTF-8")
	case strings.IndexFunc(name, unicode.IsSpace) >= 0:
		return errors.New("a log name may not hold a space (C2SP signed-note)")
	case strings.Contains(name, "+"):
		return errors.New("a log name may not hold '+' (C2SP signed-note)")
	}
	return nil
}

// Key signs a log's checkpoints: an Ed25519 key and its note verifier key.
type Key struct {
	signer   note.Signer
	verifier note.Verifier
	vkey     string
	saltKey  []byte // the key of the sealed trees' salts (Salt)
}

// DeriveKey derives the signing key named name (the note key name, which is also the start of
// every log's origin) from secret: the Ed25519 seed is HMAC-SHA256(secret, a fixed label). Every
// instance given the same secret and name derives the same key, so all of them sign the same
// checkpoints.
func DeriveKey(secret []byte, name string) (*Key, error) {
	if len(secret) == 0 {
		return nil, errors.New("translog: empty secret")
	}
	if err := CheckName(name); err != nil {
		return nil, fmt.Errorf("translog: log name %q: %w", name, err)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(keyLabel))
	priv := ed25519.NewKeyFromSeed(mac.Sum(nil))
	mac = hmac.New(sha256.New, secret)
	mac.Write([]byte(saltLabel))
	saltKey := mac.Sum(nil)
	vkey, err := note.NewEd25519VerifierKey(name, priv.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, err
	}
	return &Key{signer: ed25519Signer{v, priv}, verifier: v, vkey: vkey, saltKey: saltKey}, nil
}

// VerifierKey returns the note verifier key ("name+hash+base64 key") that checks this key's
// signatures.
func (k *Key) VerifierKey() string { return k.vkey }

// Name returns the key's name.
func (k *Key) Name() string { return k.signer.Name() }

// ed25519Signer is a note.Signer over an Ed25519 private key; its name and key hash are those of
// its verifier, as package note computes them.
type ed25519Signer struct {
	note.Verifier
	priv ed25519.PrivateKey
}

func (s ed25519Signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.priv, msg), nil }
