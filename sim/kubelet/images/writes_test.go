package images

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The commands CKA lessons fill a disk with become timed writes: dd and
// head stream at the gp3 baseline (125 MiB/s), fallocate is instant, rm
// removes, a for loop repeats its body's writes, and a script that goes
// on after writing (sleep) still runs.
func TestFileWrites(t *testing.T) {
	const mi, gi = int64(1 << 20), int64(1 << 30)
	r, _ := Parse("busybox")
	busybox, err := Default().Resolve(r)
	require.NoError(t, err)
	for _, tc := range []struct {
		script  string
		writes  []Write
		forever bool
		runFor  time.Duration
		status  int32
	}{
		{script: "dd if=/dev/zero of=/data/f bs=1M count=500", runFor: 4 * time.Second,
			writes: []Write{{At: 4 * time.Second, Path: "/data/f", Bytes: 500 * mi}}},
		{script: "fallocate -l 1G /data/big && sleep 3600", runFor: time.Hour,
			writes: []Write{{Path: "/data/big", Bytes: gi}}},
		{script: "head -c 250M /dev/zero > /cache/x; sleep infinity", forever: true,
			writes: []Write{{At: 2 * time.Second, Path: "/cache/x", Bytes: 250 * mi}}},
		{script: "head -c 125MiB /dev/urandom >>log", runFor: time.Second,
			writes: []Write{{At: time.Second, Path: "log", Bytes: 125 * mi, Append: true}}},
		{script: "for i in 1 2; do dd if=/dev/zero of=/data/f$i bs=1M count=125; sleep 9; done", runFor: 20 * time.Second,
			writes: []Write{{At: time.Second, Path: "/data/f$i", Bytes: 125 * mi}, {At: 11 * time.Second, Path: "/data/f$i#1", Bytes: 125 * mi}}},
		{script: "fallocate -l 1G f; rm -f f", writes: []Write{{Path: "f", Bytes: gi}, {Path: "f", Remove: true}}},
		{script: "dd if=/dev/zero of=/x bs=1kB count=3", writes: []Write{{At: writeTime(3000), Path: "/x", Bytes: 3000}}, runFor: writeTime(3000)},
		{script: "dd if=/dev/zero of=/x", writes: nil}, // until the input ends: not modelled
		{script: "fallocate -l2G /a; fallocate --length=1M /b; head -c1K /dev/zero > c", runFor: writeTime(1 << 10),
			writes: []Write{{Path: "/a", Bytes: 2 * gi}, {Path: "/b", Bytes: mi}, {At: writeTime(1 << 10), Path: "c", Bytes: 1 << 10}}},
		{script: "fallocate /x", status: 1},                   // no length
		{script: "dd if=/dev/zero bs=1M count=1 > /dev/null"}, // to stdout
	} {
		b := BehaviorOf(busybox.Image, "c", []string{"sh", "-c", tc.script}, nil, nil)
		require.Equal(t, tc.writes, b.Writes, tc.script)
		require.Equal(t, tc.forever, b.Forever, tc.script)
		if !tc.forever {
			require.Equal(t, tc.runFor, b.RunFor, tc.script)
			require.Equal(t, tc.status, b.ExitCode, tc.script)
		}
	}
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1M", 1 << 20, true}, {"1MB", 1000000, true}, {"2G", 2 << 30, true}, {"512", 512, true},
		{"1b", 512, true}, {"3w", 6, true}, {"1kB", 1000, true}, {"1Q", 0, false}, {"x", 0, false},
	} {
		n, ok := ddSize(tc.in)
		require.Equal(t, tc.ok, ok, tc.in)
		require.Equal(t, tc.want, n, tc.in)
	}
}
