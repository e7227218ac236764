package mail_test

import (
	"context"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"ting/internal/config"
	"ting/internal/mail"
	"ting/internal/mail/mailtest"
)

// parsed is a message the sink received, decoded as a mail client would.
type parsed struct {
	subject, body string
	header        netmail.Header
	raw           string
}

func parse(t *testing.T, m mailtest.Message) parsed {
	t.Helper()
	for i, line := range strings.Split(string(m.Data), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line %d is %d octets long", i+1, len(line))
		}
		for _, r := range line {
			if r > 127 {
				t.Fatalf("line %d carries a raw non-ASCII character: %q", i+1, line)
			}
		}
	}
	msg, err := netmail.ReadMessage(strings.NewReader(string(m.Data)))
	if err != nil {
		t.Fatalf("not a mail message: %v\n%s", err, m.Data)
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("subject %q: %v", msg.Header.Get("Subject"), err)
	}
	if cte := msg.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Fatalf("Content-Transfer-Encoding %q", cte)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	return parsed{subject: subject, body: string(body), header: msg.Header, raw: string(m.Data)}
}

func TestSendUTF8(t *testing.T) {
	sink := mailtest.Start(t, mailtest.Options{})
	m, err := mail.New(mail.SMTP{Addr: sink.Addr, From: "Ting 提醒 <ting@example.org>"})
	if err != nil {
		t.Fatal(err)
	}
	subject := "Ting 提醒：3 份报告需要处理 — AP-AH-01 生活技能教育项目第 2 期技术与财务进度报告已逾期 51 天"
	body := "王老师您好：\n\n· AP-AH-01 第 2 期报告已逾期 51 天。\n.\n..a line that starts with a dot\n" + strings.Repeat("长", 60) + "\n"
	if err := m.Send(context.Background(), []string{"wang@example.org", "Li <li@example.org>"}, subject, body); err != nil {
		t.Fatal(err)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	got := msgs[0]
	if got.From != "ting@example.org" || strings.Join(got.To, ",") != "wang@example.org,li@example.org" {
		t.Fatalf("envelope from %q to %q", got.From, got.To)
	}
	p := parse(t, got)
	if p.subject != subject {
		t.Errorf("subject decodes to %q, want %q", p.subject, subject)
	}
	if want := strings.ReplaceAll(body, "\n", "\r\n"); p.body != want {
		t.Errorf("body decodes to %q, want %q", p.body, want)
	}
	if ct := p.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" || p.header.Get("MIME-Version") != "1.0" {
		t.Errorf("Content-Type %q, MIME-Version %q", ct, p.header.Get("MIME-Version"))
	}
	from, err := p.header.AddressList("From")
	if err != nil || len(from) != 1 || from[0].Name != "Ting 提醒" || from[0].Address != "ting@example.org" {
		t.Errorf("From %v (%v)", from, err)
	}
	if _, err := time.Parse(time.RFC1123Z, p.header.Get("Date")); err != nil || !strings.HasSuffix(p.header.Get("Message-ID"), "@example.org>") {
		t.Errorf("Date %q, Message-ID %q", p.header.Get("Date"), p.header.Get("Message-ID"))
	}
}

func TestSubjectCannotAddHeaders(t *testing.T) {
	sink := mailtest.Start(t, mailtest.Options{})
	m, err := mail.New(mail.SMTP{Addr: sink.Addr, From: "ting@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), []string{"a@example.org"}, "Hello\r\nBcc: victim@example.org", "x"); err != nil {
		t.Fatal(err)
	}
	p := parse(t, sink.Messages()[0])
	if p.header.Get("Bcc") != "" || p.subject != "Hello\r\nBcc: victim@example.org" {
		t.Fatalf("subject %q, Bcc %q", p.subject, p.header.Get("Bcc"))
	}
	if err := m.Send(context.Background(), []string{"a@example.org\r\nBcc: victim@example.org"}, "x", "x"); err == nil {
		t.Fatal("a recipient with a line break was accepted")
	}
	if len(sink.Messages()) != 1 {
		t.Fatal("a refused message reached the server")
	}
}

func TestSTARTTLSAndAuth(t *testing.T) {
	srvTLS, cliTLS := mailtest.TLSConfigs(t)
	sink := mailtest.Start(t, mailtest.Options{TLS: srvTLS, User: "ting", Password: "s3cret"})
	m, err := mail.New(mail.SMTP{Addr: sink.Addr, From: "ting@example.org", User: "ting", Password: "s3cret", TLS: cliTLS})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(context.Background(), []string{"a@example.org"}, "报告提醒", "正文"); err != nil {
		t.Fatal(err)
	}
	msgs := sink.Messages()
	if len(msgs) != 1 || !msgs[0].TLS || msgs[0].User != "ting" {
		t.Fatalf("messages %+v", msgs)
	}
	// A wrong password is refused, and nothing is sent.
	bad := *m
	bad.Password = "wrong"
	if err := bad.Send(context.Background(), []string{"a@example.org"}, "x", "x"); err == nil || !strings.Contains(err.Error(), "AUTH") {
		t.Fatalf("wrong password: %v", err)
	}
	// The server's certificate is checked: one the client does not trust stops the send.
	untrusted := *m
	untrusted.TLS = nil
	if err := untrusted.Send(context.Background(), []string{"a@example.org"}, "x", "x"); err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("untrusted certificate: %v", err)
	}
	if n := len(sink.Messages()); n != 1 {
		t.Fatalf("%d messages after two refused sends, want 1", n)
	}
}

func TestRecipientRefused(t *testing.T) {
	sink := mailtest.Start(t, mailtest.Options{})
	m, err := mail.New(mail.SMTP{Addr: sink.Addr, From: "ting@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	sink.FailRcpt(true)
	if err := m.Send(context.Background(), []string{"a@example.org"}, "x", "x"); err == nil || !strings.Contains(err.Error(), "RCPT") {
		t.Fatalf("refused recipient: %v", err)
	}
	sink.FailRcpt(false)
	if err := m.Send(context.Background(), []string{"a@example.org"}, "x", "x"); err != nil {
		t.Fatal(err)
	}
	if n := len(sink.Messages()); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}
}

// A server that accepts the connection and never answers does not hold a send past its context.
func TestSilentServerTimesOut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	m, err := mail.New(mail.SMTP{Addr: ln.Addr().String(), From: "ting@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := m.Send(ctx, []string{"a@example.org"}, "x", "x"); err == nil {
		t.Fatal("a silent server accepted the message")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("send took %v", d)
	}
}

func TestFromConfig(t *testing.T) {
	if m, err := mail.FromConfig(&config.Config{}); m != nil || err != nil {
		t.Fatalf("no SMTP server: %v %v", m, err)
	}
	for _, c := range []config.Config{
		{SMTPAddr: "mail.example.org", SMTPFrom: "ting@example.org"},
		{SMTPAddr: "mail.example.org:587"},
		{SMTPAddr: "mail.example.org:587", SMTPFrom: "not an address"},
		{SMTPAddr: "mail.example.org:587", SMTPFrom: "ting@example.org", SMTPPassword: "x"},
	} {
		if m, err := mail.FromConfig(&c); err == nil || m != nil {
			t.Errorf("%+v: accepted", c)
		}
	}
	m, err := mail.FromConfig(&config.Config{SMTPAddr: "mail.example.org:587", SMTPFrom: "Ting <ting@example.org>", SMTPUser: "ting", SMTPPassword: "x"})
	if err != nil || m == nil {
		t.Fatalf("complete settings: %v %v", m, err)
	}
}
