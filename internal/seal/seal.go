// Package seal encrypts personal fields at rest and computes blind indexes to find them by
// equality without decrypting. Keys never live in the database: a keyring is read from a file
// or the environment. Each master key has a version; the newest seals, every one still listed
// opens, so `ting keys rotate` can re-seal old values under the new key.
//
// A sealed value is: version (1 byte) ‖ nonce (12 bytes) ‖ AES-256-GCM ciphertext and tag. The
// AES key of each field is derived from the master key with HKDF-SHA256 (info "ting seal
// <field>"), and the caller's associated data (the record's id and the field) is authenticated,
// so a sealed value copied to another record or field does not open.
package seal

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// KeySize is the length of a master key.
const KeySize = 32

// ErrOpen is returned for a sealed value that does not open: tampered, moved to another record
// or field, or sealed under a key no longer in the keyring.
var ErrOpen = errors.New("seal: value does not open with this keyring and context")

// Keyring holds the master keys by version.
type Keyring struct {
	keys    map[byte][]byte
	current byte
}

// NewKeyring builds a keyring; the highest version seals.
func NewKeyring(keys map[byte][]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, errors.New("seal: no key")
	}
	k := &Keyring{keys: map[byte][]byte{}}
	for v, key := range keys {
		if v == 0 {
			return nil, errors.New("seal: key versions start at 1")
		}
		if len(key) != KeySize {
			return nil, fmt.Errorf("seal: key %d has %d bytes, want %d", v, len(key), KeySize)
		}
		k.keys[v] = slices.Clone(key)
		k.current = max(k.current, v)
	}
	return k, nil
}

// ParseKeyring reads keys written one per line (or separated by commas) as "version:base64"
// — the format of TING_KEYS and of the key file. Blank lines and # comments are ignored.
func ParseKeyring(r io.Reader) (*Keyring, error) {
	keys := map[byte][]byte{}
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		for item := range strings.SplitSeq(sc.Text(), ",") {
			item = strings.TrimSpace(item)
			if item == "" || strings.HasPrefix(item, "#") {
				continue
			}
			ver, b64, ok := strings.Cut(item, ":")
			n, err := strconv.Atoi(strings.TrimSpace(ver))
			if !ok || err != nil || n < 1 || n > 255 {
				return nil, fmt.Errorf("seal: line %d: want version:base64-key with a version from 1 to 255", line)
			}
			key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
			if err != nil {
				return nil, fmt.Errorf("seal: line %d: key %d is not base64", line, n)
			}
			if _, dup := keys[byte(n)]; dup {
				return nil, fmt.Errorf("seal: line %d: key %d given twice", line, n)
			}
			keys[byte(n)] = key
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return NewKeyring(keys)
}

// NewKey returns a fresh random master key, base64-encoded, for a key file.
func NewKey() string {
	b := make([]byte, KeySize)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Current is the version that seals.
func (k *Keyring) Current() byte { return k.current }

func derive(master []byte, purpose string) []byte {
	key, err := hkdf.Key(sha256.New, master, nil, purpose, KeySize)
	if err != nil {
		panic(err) // only for lengths HKDF cannot produce; ours is fixed
	}
	return key
}

func (k *Keyring) aead(version byte, field string) (cipher.AEAD, error) {
	master, ok := k.keys[version]
	if !ok {
		return nil, ErrOpen
	}
	block, err := aes.NewCipher(derive(master, "ting seal "+field))
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal encrypts plaintext for field under the current key, binding context (e.g. "card:42").
func (k *Keyring) Seal(field string, plaintext []byte, context string) ([]byte, error) {
	g, err := k.aead(k.current, field)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+g.NonceSize(), 1+g.NonceSize()+len(plaintext)+g.Overhead())
	out[0] = k.current
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, err
	}
	return g.Seal(out, out[1:], plaintext, []byte(field+"\x00"+context)), nil
}

// Open decrypts a value sealed for field and context, under whichever key version sealed it.
func (k *Keyring) Open(field string, sealed []byte, context string) ([]byte, error) {
	if len(sealed) < 1 {
		return nil, ErrOpen
	}
	g, err := k.aead(sealed[0], field)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+g.NonceSize()+g.Overhead() {
		return nil, ErrOpen
	}
	nonce, body := sealed[1:1+g.NonceSize()], sealed[1+g.NonceSize():]
	plain, err := g.Open(nil, nonce, body, []byte(field+"\x00"+context))
	if err != nil {
		return nil, ErrOpen
	}
	return plain, nil
}

// Stale reports whether a sealed value was sealed under an older key and should be re-sealed.
func (k *Keyring) Stale(sealed []byte) bool { return len(sealed) > 0 && sealed[0] != k.current }

// BlindIndex is a keyed hash of a normalised value for equality search (likely duplicates):
// HMAC-SHA256 under a key derived from the current master key for this index, hex-encoded.
// Equal inputs give equal indexes under one key; rotating the key means recomputing them.
func (k *Keyring) BlindIndex(index string, normalised string) string {
	m := hmac.New(sha256.New, derive(k.keys[k.current], "ting index "+index))
	m.Write([]byte(normalised))
	return hex.EncodeToString(m.Sum(nil))
}
