package web

// notifierBox holds a LockoutNotifier set after New (SetNotifier).
type notifierBox struct{ n LockoutNotifier }

// SetNotifier replaces Options.Notifier (nil: nobody is told). A surface
// built before its mail sender can be wired uses it (the console: its
// lockout mail needs the outbox the daemon starts separately). Safe while
// the site serves.
func (s *Site) SetNotifier(n LockoutNotifier) {
	s.override.Store(&notifierBox{n})
}

// notifier is the current LockoutNotifier, or nil.
func (s *Site) notifier() LockoutNotifier {
	if b := s.override.Load(); b != nil {
		return b.n
	}
	return s.opts.Notifier
}
