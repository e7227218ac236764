// Package mail sends Ting's e-mail (reminders) through an SMTP server with net/smtp: STARTTLS
// whenever the server offers it, AUTH PLAIN when a user is configured, and messages whose
// UTF-8 subjects and bodies survive any mail client (RFC 2047 encoded words, quoted-printable).
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/smtp"
	"os"
	"strings"
	"time"

	"ting/internal/config"
)

// Mailer sends one message to its recipients.
type Mailer interface {
	Send(ctx context.Context, to []string, subject, body string) error
}

// SMTP is a Mailer talking to one SMTP server.
type SMTP struct {
	Addr     string // host:port
	From     string // "Ting <ting@example.org>" or a bare address
	User     string // AUTH PLAIN user; empty for no AUTH
	Password string
	// Hello is the name given in EHLO; empty takes the host name.
	Hello string
	// TLS configures STARTTLS; nil verifies the server's certificate for its host name.
	TLS *tls.Config
	// Timeout bounds a whole send when ctx has no deadline; 0 means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout bounds one send when the context sets no deadline.
const DefaultTimeout = 30 * time.Second

// New checks the settings and returns the Mailer.
func New(m SMTP) (*SMTP, error) {
	host, port, err := net.SplitHostPort(m.Addr)
	if err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("mail: SMTP address %q: want host:port", m.Addr)
	}
	if m.From == "" {
		return nil, errors.New("mail: a sender address (TING_SMTP_FROM) is required")
	}
	if _, err := netmail.ParseAddress(m.From); err != nil {
		return nil, fmt.Errorf("mail: sender %q: %w", m.From, err)
	}
	if m.Password != "" && m.User == "" {
		return nil, errors.New("mail: a password is set without a user (TING_SMTP_USER)")
	}
	return &m, nil
}

// FromConfig returns the Mailer the settings describe, or nil (and no error) when no SMTP
// server is configured.
func FromConfig(c *config.Config) (Mailer, error) {
	if c == nil || c.SMTPAddr == "" {
		return nil, nil
	}
	m, err := New(SMTP{Addr: c.SMTPAddr, From: c.SMTPFrom, User: c.SMTPUser, Password: c.SMTPPassword})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Send delivers one message to every address in to, in one SMTP transaction: either the
// server accepts it for all of them or Send returns an error.
func (m *SMTP) Send(ctx context.Context, to []string, subject, body string) error {
	from, err := netmail.ParseAddress(m.From)
	if err != nil {
		return fmt.Errorf("mail: sender %q: %w", m.From, err)
	}
	if len(to) == 0 {
		return errors.New("mail: no recipients")
	}
	rcpt := make([]string, len(to))
	for i, addr := range to {
		a, err := netmail.ParseAddress(addr)
		if err != nil {
			return fmt.Errorf("mail: recipient %q: %w", addr, err)
		}
		rcpt[i] = a.Address
	}
	msg, err := Message(from.String(), rcpt, subject, body, time.Now())
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		timeout := m.Timeout
		if timeout == 0 {
			timeout = DefaultTimeout
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	return m.deliver(ctx, from.Address, rcpt, msg)
}

func (m *SMTP) deliver(ctx context.Context, from string, rcpt []string, msg []byte) error {
	host, _, _ := net.SplitHostPort(m.Addr)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return fmt.Errorf("mail: connect to %s: %w", m.Addr, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	// Closing the connection when ctx ends unblocks whatever command is waiting.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("mail: %s: %w", m.Addr, err)
	}
	defer c.Close()
	if err := c.Hello(m.helloName()); err != nil {
		return fmt.Errorf("mail: EHLO: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := m.TLS
		if cfg == nil {
			cfg = &tls.Config{ServerName: host}
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("mail: STARTTLS: %w", err)
		}
	}
	if m.User != "" {
		// net/smtp refuses PLAIN over an unencrypted connection except to localhost.
		if err := c.Auth(smtp.PlainAuth("", m.User, m.Password, host)); err != nil {
			return fmt.Errorf("mail: AUTH: %w", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("mail: MAIL FROM: %w", err)
	}
	for _, r := range rcpt {
		if err := c.Rcpt(r); err != nil {
			return fmt.Errorf("mail: RCPT TO %s: %w", r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("mail: DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: message refused: %w", err)
	}
	c.Quit() // the message is accepted; a failed QUIT does not undo that
	return nil
}

func (m *SMTP) helloName() string {
	if m.Hello != "" {
		return m.Hello
	}
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \r\n") {
		return h
	}
	return "localhost"
}

// Message writes a plain-text message in UTF-8: the subject as RFC 2047 encoded words (only
// when it needs them), the body quoted-printable with CRLF line ends.
func Message(from string, to []string, subject, body string, date time.Time) ([]byte, error) {
	for _, h := range append([]string{from}, to...) {
		if strings.ContainsAny(h, "\r\n") {
			return nil, fmt.Errorf("mail: line break in address %q", h)
		}
	}
	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	header("From", from)
	header("To", strings.Join(to, ", "))
	// Encoded words are at most 75 characters; fold between them so no line grows long.
	header("Subject", strings.ReplaceAll(mime.QEncoding.Encode("utf-8", subject), "?= =?utf-8?q?", "?=\r\n =?utf-8?q?"))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", messageID(from))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(body, "\r\n", "\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

func messageID(from string) string {
	domain := "ting.invalid"
	if a, err := netmail.ParseAddress(from); err == nil {
		if i := strings.LastIndexByte(a.Address, '@'); i >= 0 && i+1 < len(a.Address) {
			domain = a.Address[i+1:]
		}
	}
	r := make([]byte, 12)
	rand.Read(r)
	return "<" + hex.EncodeToString(r) + "@" + domain + ">"
}
