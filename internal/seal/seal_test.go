package seal

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

func ring(t *testing.T, spec string) *Keyring {
	t.Helper()
	k, err := ParseKeyring(strings.NewReader(spec))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	k1 := NewKey()
	k := ring(t, "1:"+k1)
	sealed, err := k.Seal("name", []byte("王小红"), "card:42")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("王小红")) || sealed[0] != 1 {
		t.Fatalf("sealed value %x shows the plaintext or lacks its version", sealed)
	}
	again, _ := k.Seal("name", []byte("王小红"), "card:42")
	if bytes.Equal(sealed, again) {
		t.Fatal("two seals of one value are equal: the nonce is not random")
	}
	got, err := k.Open("name", sealed, "card:42")
	if err != nil || string(got) != "王小红" {
		t.Fatalf("open: %q %v", got, err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for name, try := range map[string]func() ([]byte, error){
		"tampered":      func() ([]byte, error) { return k.Open("name", tampered, "card:42") },
		"other record":  func() ([]byte, error) { return k.Open("name", sealed, "card:43") },
		"other field":   func() ([]byte, error) { return k.Open("phone", sealed, "card:42") },
		"truncated":     func() ([]byte, error) { return k.Open("name", sealed[:10], "card:42") },
		"empty":         func() ([]byte, error) { return k.Open("name", nil, "card:42") },
		"other keyring": func() ([]byte, error) { return ring(t, "1:"+NewKey()).Open("name", sealed, "card:42") },
	} {
		if v, err := try(); !errors.Is(err, ErrOpen) || v != nil {
			t.Errorf("%s: %q %v, want ErrOpen", name, v, err)
		}
	}
}

// TestRotation: a keyring with a new key seals under it, still opens the old values, and says
// which are stale; a keyring without the old key cannot open them.
func TestRotation(t *testing.T) {
	k1, k2 := NewKey(), NewKey()
	old := ring(t, "1:"+k1)
	sealed, _ := old.Seal("id_number", []byte("340102200001011234"), "card:7")
	both := ring(t, "# rotated 2026\n1:"+k1+"\n2:"+k2+"\n")
	if both.Current() != 2 || !both.Stale(sealed) {
		t.Fatalf("current %d, stale %v", both.Current(), both.Stale(sealed))
	}
	plain, err := both.Open("id_number", sealed, "card:7")
	if err != nil {
		t.Fatal(err)
	}
	resealed, _ := both.Seal("id_number", plain, "card:7")
	if both.Stale(resealed) || resealed[0] != 2 {
		t.Fatal("re-sealed value is still stale")
	}
	onlyNew := ring(t, "2:"+k2)
	if _, err := onlyNew.Open("id_number", sealed, "card:7"); !errors.Is(err, ErrOpen) {
		t.Fatalf("a retired key still opens: %v", err)
	}
	if got, err := onlyNew.Open("id_number", resealed, "card:7"); err != nil || string(got) != "340102200001011234" {
		t.Fatalf("re-sealed value: %q %v", got, err)
	}
}

func TestBlindIndex(t *testing.T) {
	k := ring(t, "1:"+NewKey())
	a := k.BlindIndex("dup", "王小红|2001-03-04|340102")
	if a != k.BlindIndex("dup", "王小红|2001-03-04|340102") || len(a) != 64 {
		t.Fatalf("index not deterministic: %s", a)
	}
	if a == k.BlindIndex("dup", "王小红|2001-03-05|340102") || a == k.BlindIndex("phone", "王小红|2001-03-04|340102") {
		t.Fatal("different inputs or indexes collide")
	}
	if a == ring(t, "1:"+NewKey()).BlindIndex("dup", "王小红|2001-03-04|340102") {
		t.Fatal("the index does not depend on the key")
	}
}

func TestParseKeyring(t *testing.T) {
	short := base64.StdEncoding.EncodeToString([]byte("short"))
	good := NewKey()
	for spec, want := range map[string]string{
		"":                           "no key",
		"1:" + short:                 "has 5 bytes",
		"0:" + good:                  "version",
		"x:" + good:                  "version",
		"1:not base64!":              "not base64",
		"1:" + good + ",1:" + good:   "given twice",
		"300:" + good:                "version",
		good:                         "version",
		"1:" + good + "\n2:" + short: "has 5 bytes",
	} {
		if _, err := ParseKeyring(strings.NewReader(spec)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error saying %q", spec, err, want)
		}
	}
	if k := ring(t, "1:"+good+", 3:"+NewKey()); k.Current() != 3 {
		t.Fatalf("current %d", k.Current())
	}
}
