package devmail

import (
	"errors"
	"log/slog"
	"sync"
	"time"
)

// saver takes snapshots of the mailbox in one goroutine: each kick asks
// for one, kicks that arrive while a snapshot runs are served by the next,
// and flush waits for a snapshot that began after it was called. A failed
// snapshot is retried after retryAfter.
type saver struct {
	snapshot func(clean bool) error
	log      *slog.Logger

	mu      sync.Mutex
	cond    *sync.Cond
	asked   uint64 // kicks so far
	done    uint64 // the kicks the last finished snapshot covers
	err     error  // of the last finished snapshot
	stopped bool

	kicks    chan struct{}
	quit     chan struct{}
	exited   chan struct{}
	stopOnce sync.Once
	stopErr  error
}

const retryAfter = time.Second

func newSaver(snapshot func(clean bool) error, log *slog.Logger) *saver {
	s := &saver{snapshot: snapshot, log: log, kicks: make(chan struct{}, 1),
		quit: make(chan struct{}), exited: make(chan struct{})}
	s.cond = sync.NewCond(&s.mu)
	return s
}

// kick asks for a snapshot and returns the number it will answer to.
func (s *saver) kick() uint64 {
	s.mu.Lock()
	s.asked++
	n := s.asked
	s.mu.Unlock()
	select {
	case s.kicks <- struct{}{}:
	default: // one is already pending: it will see asked
	}
	return n
}

// flush asks for a snapshot and waits for it.
func (s *saver) flush() error {
	n := s.kick()
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.done < n && !s.stopped {
		s.cond.Wait()
	}
	if s.done < n {
		return errors.New("the dev mail servers are stopping")
	}
	return s.err
}

func (s *saver) run() {
	defer close(s.exited)
	var retry <-chan time.Time
	for {
		select {
		case <-s.kicks:
		case <-retry:
		case <-s.quit:
			return
		}
		retry = nil
		if err := s.take(false); err != nil {
			s.log.Error("could not save the dev mailbox; retrying", "err", err)
			retry = time.After(retryAfter)
		}
	}
}

// take runs one snapshot and wakes whoever it answers.
func (s *saver) take(clean bool) error {
	s.mu.Lock()
	n := s.asked
	s.mu.Unlock()
	err := s.snapshot(clean)
	s.mu.Lock()
	s.done, s.err = n, err
	s.cond.Broadcast()
	s.mu.Unlock()
	return err
}

// stop ends the loop and takes the last snapshot, marked clean. Waiters
// still pending after it get an error.
func (s *saver) stop() error {
	s.stopOnce.Do(func() {
		close(s.quit)
		<-s.exited
		s.stopErr = s.take(true)
		s.mu.Lock()
		s.stopped = true
		s.cond.Broadcast()
		s.mu.Unlock()
	})
	return s.stopErr
}
