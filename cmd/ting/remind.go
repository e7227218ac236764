package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"time"

	"ting/internal/config"
	"ting/internal/mail"
	"ting/internal/plans"
	"ting/internal/store"
	"ting/internal/web"
)

// remind creates today's notifications of late and waiting reports and, when SMTP is
// configured, e-mails them.
func remind(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("remind", flag.ContinueOnError)
	cfg := config.Register(fs)
	asOf := fs.String("as-of", "", "judge lateness on this date (YYYY-MM-DD) instead of today")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	db, err := open(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	st, err := runReminders(ctx, db, cfg, *asOf, slog.Default())
	if err != nil {
		return err
	}
	fmt.Printf("late reports %d, waiting on review %d, waiting on approval %d; notifications created %d, e-mails sent %d, failed %d\n",
		st.Late, st.ToReview, st.ToApprove, st.Created, st.Emailed, st.Failed)
	return nil
}

func runReminders(ctx context.Context, db *store.DB, cfg *config.Config, asOf string, log *slog.Logger) (plans.RemindStats, error) {
	m, err := mail.FromConfig(cfg)
	if err != nil {
		return plans.RemindStats{}, err
	}
	var pm plans.Mailer
	if m != nil {
		pm = m
	}
	return plans.New(db).Remind(ctx, asOf, pm, plans.RemindOptions{WaitDays: cfg.RemindAfter, Letter: web.ReminderLetter, Log: log})
}

// remindDaily runs the reminders at start and then once a day until ctx ends; a failure is
// logged and tried again the next day.
func remindDaily(ctx context.Context, db *store.DB, cfg *config.Config, asOf func() string, log *slog.Logger) {
	for {
		st, err := runReminders(ctx, db, cfg, asOf(), log)
		if err != nil {
			log.Error("reminders failed", "err", err)
		} else {
			log.Info("reminders", "late", st.Late, "created", st.Created, "emailed", st.Emailed, "failed", st.Failed)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(24 * time.Hour):
		}
	}
}
