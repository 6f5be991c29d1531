package live

import "time"

// Change says that the view moved on; read Snapshot for the content.
type Change struct {
	Version uint64
	Time    time.Duration
}

type subscriber struct{ ch chan Change }

// Subscribe returns a feed of changes with a bounded buffer: a slow reader
// misses intermediate changes (it reads the latest Snapshot anyway) and
// never stalls the simulation. cancel ends the subscription.
func (s *Session) Subscribe(buffer int) (<-chan Change, func()) {
	if buffer < 1 {
		buffer = 1
	}
	sub := &subscriber{ch: make(chan Change, buffer)}
	s.subsMu.Lock()
	s.subs[sub] = struct{}{}
	s.subsMu.Unlock()
	return sub.ch, func() {
		s.subsMu.Lock()
		if _, ok := s.subs[sub]; ok {
			delete(s.subs, sub)
			close(sub.ch)
		}
		s.subsMu.Unlock()
	}
}

func (s *Session) publish() {
	v := s.Snapshot()
	if v == nil {
		return
	}
	ch := Change{Version: v.Version, Time: v.Time}
	s.subsMu.Lock()
	defer s.subsMu.Unlock()
	for sub := range s.subs {
		select {
		case sub.ch <- ch:
		default: // full: the reader will catch up from the snapshot
		}
	}
}
