// Package mailtest runs a small SMTP server for tests: it speaks enough SMTP for net/smtp
// (greeting, EHLO/HELO, optional STARTTLS and AUTH PLAIN, MAIL FROM, RCPT TO, DATA, RSET,
// NOOP, QUIT), records every message it accepts, and can be told to refuse recipients.
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Message is one message the sink accepted.
type Message struct {
	From string   // envelope sender
	To   []string // envelope recipients
	Data []byte   // the message as sent, dot-unstuffed, CRLF line ends
	TLS  bool     // sent after STARTTLS
	User string   // the AUTH PLAIN user, if any
}

// Options configure a sink.
type Options struct {
	// TLS, when set, makes the sink offer STARTTLS with this configuration.
	TLS *tls.Config
	// User and Password, when User is set, make the sink offer AUTH PLAIN and refuse mail
	// from clients that have not authenticated.
	User, Password string
}

// Sink is a running SMTP server on 127.0.0.1.
type Sink struct {
	Addr string // host:port to dial

	opt      Options
	ln       net.Listener
	failRcpt atomic.Bool
	mu       sync.Mutex
	msgs     []Message
	conns    map[net.Conn]bool
	wg       sync.WaitGroup
}

// Start runs a sink until the test ends.
func Start(t testing.TB, opt Options) *Sink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s := &Sink{Addr: ln.Addr().String(), opt: opt, ln: ln, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.serve()
	t.Cleanup(s.close)
	return s
}

// FailRcpt makes the sink refuse (fail = true) or accept every recipient from now on.
func (s *Sink) FailRcpt(fail bool) { s.failRcpt.Store(fail) }

// Messages returns the messages accepted so far.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.msgs...)
}

func (s *Sink) close() {
	s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *Sink) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		}()
	}
}

// session speaks SMTP on one connection until QUIT, an error or the end of the test.
func (s *Sink) session(c net.Conn) {
	defer func() { c.Close() }()
	c.SetDeadline(time.Now().Add(time.Minute))
	tp := textproto.NewConn(c)
	reply := func(format string, args ...any) bool { return tp.PrintfLine(format, args...) == nil }
	if !reply("220 mailtest ESMTP") {
		return
	}
	var (
		onTLS  bool
		user   string
		from   string
		rcpt   []string
		hasMsg bool
	)
	reset := func() { from, rcpt, hasMsg = "", nil, false }
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			lines := []string{"mailtest", "8BITMIME"}
			if s.opt.TLS != nil && !onTLS {
				lines = append(lines, "STARTTLS")
			}
			if s.opt.User != "" {
				lines = append(lines, "AUTH PLAIN")
			}
			for i, l := range lines {
				sep := "-"
				if i == len(lines)-1 {
					sep = " "
				}
				if !reply("250%s%s", sep, l) {
					return
				}
			}
			reset()
		case "HELO":
			reset()
			reply("250 mailtest")
		case "STARTTLS":
			if s.opt.TLS == nil || onTLS {
				reply("502 not offered")
				continue
			}
			if !reply("220 go ahead") {
				return
			}
			tc := tls.Server(c, s.opt.TLS)
			if err := tc.Handshake(); err != nil {
				return
			}
			c = tc
			tp = textproto.NewConn(c)
			onTLS = true
			user = ""
			reset()
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			if s.opt.User == "" || !strings.EqualFold(mech, "PLAIN") {
				reply("504 mechanism not supported")
				continue
			}
			if resp == "" {
				if !reply("334 ") {
					return
				}
				if resp, err = tp.ReadLine(); err != nil {
					return
				}
			}
			b, err := base64.StdEncoding.DecodeString(resp)
			parts := strings.Split(string(b), "\x00")
			if err != nil || len(parts) != 3 || parts[1] != s.opt.User || parts[2] != s.opt.Password {
				reply("535 authentication failed")
				continue
			}
			user = parts[1]
			reply("235 authenticated")
		case "MAIL":
			if s.opt.User != "" && user == "" {
				reply("530 authentication required")
				continue
			}
			reset()
			from = address(arg, "FROM:")
			hasMsg = true
			reply("250 ok")
		case "RCPT":
			switch {
			case !hasMsg:
				reply("503 MAIL first")
			case s.failRcpt.Load():
				reply("550 mailbox unavailable")
			default:
				rcpt = append(rcpt, address(arg, "TO:"))
				reply("250 ok")
			}
		case "DATA":
			if len(rcpt) == 0 {
				reply("503 RCPT first")
				continue
			}
			if !reply("354 end with <CRLF>.<CRLF>") {
				return
			}
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			// ReadDotBytes turns CRLF into LF; give the message back as it travelled.
			data = []byte(strings.ReplaceAll(string(data), "\n", "\r\n"))
			s.mu.Lock()
			s.msgs = append(s.msgs, Message{From: from, To: rcpt, Data: data, TLS: onTLS, User: user})
			s.mu.Unlock()
			reset()
			reply("250 queued")
		case "RSET":
			reset()
			reply("250 ok")
		case "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 command not implemented")
		}
	}
}

// address takes the path out of "FROM:<a@b> SIZE=…".
func address(arg, prefix string) string {
	arg = strings.TrimSpace(arg)
	if len(arg) >= len(prefix) && strings.EqualFold(arg[:len(prefix)], prefix) {
		arg = strings.TrimSpace(arg[len(prefix):])
	}
	if i := strings.IndexByte(arg, '>'); strings.HasPrefix(arg, "<") && i > 0 {
		return arg[1:i]
	}
	a, _, _ := strings.Cut(arg, " ")
	return a
}

// TLSConfigs returns a server configuration with a fresh self-signed certificate for
// 127.0.0.1 and localhost, and a client configuration that trusts it.
func TLSConfigs(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "mailtest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}
	client = &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"}
	return server, client
}
