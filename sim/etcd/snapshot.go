package etcd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/hashicorp/raft"
)

// snapStore is a file-less raft.SnapshotStore keeping a member's latest
// snapshot. Our FSM hands it the point-in-time image (a map no one
// modifies any more) instead of bytes, and the bytes are produced only
// when a snapshot is read back (a restarted member restoring, a lagging
// follower being sent it): raft's periodic log compaction then costs no
// encoding of the whole state.
type snapStore struct {
	mu     sync.Mutex
	latest *snapSink
	gate   *gate
}

// snapSink receives one snapshot: an image from our FSM, or bytes (a
// snapshot installed from the leader).
type snapSink struct {
	meta  raft.SnapshotMeta
	buf   bytes.Buffer
	image *fsmSnapshot
	store *snapStore
}

func (s *snapStore) Create(version raft.SnapshotVersion, index, term uint64, configuration raft.Configuration,
	configurationIndex uint64, trans raft.Transport) (raft.SnapshotSink, error) {
	if version != 1 {
		return nil, fmt.Errorf("etcd: unsupported snapshot version %d", version)
	}
	return &snapSink{store: s, meta: raft.SnapshotMeta{
		Version: version, ID: fmt.Sprintf("%d-%d", term, index), Index: index, Term: term,
		Configuration: configuration, ConfigurationIndex: configurationIndex,
	}}, nil
}

func (s *snapStore) List() ([]*raft.SnapshotMeta, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latest == nil {
		return nil, nil
	}
	m := s.latest.meta
	return []*raft.SnapshotMeta{&m}, nil
}

func (s *snapStore) Open(id string) (*raft.SnapshotMeta, io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.latest == nil || s.latest.meta.ID != id {
		return nil, nil, fmt.Errorf("etcd: no snapshot %s", id)
	}
	l := s.latest
	data := l.buf.Bytes()
	if l.image != nil {
		if !s.gate.enter() {
			return nil, nil, errNotNow
		}
		var err error
		data, err = l.image.encode()
		s.gate.leave()
		if err != nil {
			return nil, nil, err
		}
	}
	m := l.meta
	m.Size = int64(len(data))
	return &m, io.NopCloser(bytes.NewReader(data)), nil
}

// errNotNow refuses to open a snapshot while the simulation runs (see
// gate); raft tries again.
var errNotNow = errors.New("etcd: a snapshot is sent only while the simulation waits for raft")

func (s *snapSink) Write(p []byte) (int, error) {
	n, err := s.buf.Write(p)
	s.meta.Size += int64(n)
	return n, err
}

// Close makes the snapshot the store's latest.
func (s *snapSink) Close() error {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	if old := s.store.latest; old != nil && old.image != nil && old.image != s.image {
		old.image.drop() // no one can open it any more
	}
	s.store.latest = s
	return nil
}

func (s *snapSink) ID() string    { return s.meta.ID }
func (s *snapSink) Cancel() error { return nil }
