package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"

	"ting/internal/valid"
)

// Argon2id parameters (OWASP's minimum recommendation: 19 MiB, 2 passes, 1 lane).
// Tests may lower Memory to keep suites fast; the encoded hash records what was used.
var (
	argonMemory  uint32 = 19 * 1024
	argonTime    uint32 = 2
	argonThreads uint8  = 1
)

// HashPassword returns the PHC-style encoding of an argon2id hash of pw.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

var errBadHash = errors.New("malformed password hash")

// CheckPassword reports whether pw matches the encoded hash.
func CheckPassword(encoded, pw string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Password length limits, in characters. The upper bound keeps a pasted document from being
// hashed (argon2id's cost grows with the input).
const (
	MinPassword = 10
	MaxPassword = 256
)

// CheckPasswordStrength returns a rule name when pw is too weak, else "".
func CheckPasswordStrength(pw string) string {
	if len([]rune(pw)) < MinPassword {
		return "password_len"
	}
	return ""
}

// checkPassword records, on field, every rule a new password breaks: the same rules wherever a
// password is set (a new account, an administrator's reset, a user's own change).
func checkPassword(es *valid.Errors, field, pw string) {
	if rule := CheckPasswordStrength(pw); rule != "" {
		es.Add(field, rule, strconv.Itoa(MinPassword))
		return
	}
	es.MaxLen(field, pw, MaxPassword)
}

// passwordAlphabet leaves out characters read alike (0/o, 1/l/i) so a generated password can
// be read out over the telephone.
const passwordAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// GeneratePassword returns a random password of four groups of four characters (about 79 bits),
// e.g. "k7rm-2xqe-9hbw-tn4c".
func GeneratePassword() string {
	const n = len(passwordAlphabet)
	limit := 256 - 256%n // bytes at or above limit would favour the first letters: drawn again
	var b strings.Builder
	buf := make([]byte, 1)
	for written := 0; written < 16; {
		rand.Read(buf)
		if int(buf[0]) >= limit {
			continue
		}
		if written > 0 && written%4 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(passwordAlphabet[int(buf[0])%n])
		written++
	}
	return b.String()
}
