package daemon

import (
	"context"
	"fmt"
	"log/slog"

	"turno/mailout"
	"turno/retention"
	"turno/scheduler"
	"turno/store"
)

// AddRetention registers the daily retention job ([retention]) on sched,
// before it starts. BillingParts is where the daemon and the CLI (`turno
// jobs run retention`) build the scheduler; call it there.
func AddRetention(ctx context.Context, opts Options, st *store.Store, sched *scheduler.Scheduler) error {
	cfg := opts.Config
	if !cfg.Retention.Enabled {
		return nil
	}
	key, err := mailout.MessageIDKey(ctx, st.DB, cfg.Mail.MessageIDSecret)
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	j := retention.New(retention.Options{DB: st.DB, Config: cfg, MessageIDKey: key, Clock: opts.Clock,
		Location: sched.Location(), Logger: log.With("job", retention.JobName)})
	retention.Register(sched, cfg.Retention, j)
	return nil
}
