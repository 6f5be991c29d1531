package etcd

import (
	"fmt"

	"github.com/kubesim/kubesim/sim/store"
)

// draft is the open raft entry as the simulation fills it: copies of its
// batches' mutations, not encoded yet. The pipeline's goroutine encodes
// it (encodeBatch) just before it hands it to raft, so that framing the
// entry and gathering its shared values is off the simulation's
// goroutine (encodeBatch and the entry's two buffers were 0.8 of the 1.14
// CPU-s Append cost there at 5,000 nodes / 150,000 pods).
//
// The copies are needed because the store reuses its batch array after
// Append (store.Log). Each copy is values only: the store's kind and key
// strings, its slot, and pointers to immutable objects (the store never
// writes an object again once written; a renewed Lease is a new
// *store.Renewal, a packed object's *store.Encoding is shared as it is).
// encodeBatch reads a mutation's fields and an object's dynamic type,
// never the object itself, so it may run on any goroutine while the
// simulation goes on (encoding an object's content, which may write to it,
// still waits for the simulation: see gate).
type draft struct {
	first uint64           // sequence number of the first batch
	muts  []store.Mutation // every batch's mutations, one after the other
	sizes []int32          // each batch's number of mutations
}

// add appends one batch (the next sequence number) to d.
func (d *draft) add(batch []store.Mutation) {
	d.muts = append(d.muts, batch...)
	d.sizes = append(d.sizes, int32(len(batch)))
}

// last is the sequence number of d's last batch.
func (d *draft) last() uint64 { return d.first + uint64(len(d.sizes)) - 1 }

// encode frames d's batches as one raft entry and gathers their shared
// values, into buffers allocated with the given capacities.
func (d *draft) encode(dataCap, valsCap int) ([]byte, []sharedVal, error) {
	data := make([]byte, 0, dataCap)
	vals := make([]sharedVal, 0, valsCap)
	muts := d.muts
	for i, n := range d.sizes {
		var err error
		if data, vals, err = encodeBatch(data, vals, d.first+uint64(i), muts[:n]); err != nil {
			return nil, nil, err
		}
		muts = muts[n:]
	}
	return data, vals, nil
}

// encoder is the pipeline's: it encodes drafts into buffers as large as
// the last entry's. An entry grown from nothing by appends allocated
// about twice what it holds (8% of all bytes allocated at 1k nodes / 30k
// pods), and consecutive entries are alike (most are full: groupMutations
// or groupBatches). The entry is kept by the logs, so its buffer cannot
// be reused; an entry shorter than the last keeps the spare capacity
// until the logs drop it.
type encoder struct{ lastLen, lastVals int }

func (e *encoder) encode(d *draft) ([]byte, []sharedVal, error) {
	data, vals, err := d.encode(e.lastLen, e.lastVals)
	if err == nil {
		e.lastLen, e.lastVals = len(data), len(vals)
	}
	return data, vals, err
}

// reset empties d for reuse, letting go of its objects.
func (d *draft) reset() {
	clear(d.muts)
	d.muts, d.sizes = d.muts[:0], d.sizes[:0]
}

// encodable fails for a write of an object without a protobuf encoding:
// the write fails when it is written (Append), as it did when Append
// encoded the batch, not later when its entry is encoded.
func encodable(batch []store.Mutation) error {
	for i := range batch {
		m := &batch[i]
		if m.Type == store.Deleted || m.Renewed != nil || m.Encoded != nil || m.Object == nil {
			continue
		}
		if _, ok := m.Object.(protoMarshaler); !ok {
			return fmt.Errorf("etcd: %s %s has no protobuf encoding", m.Kind, m.Key)
		}
	}
	return nil
}
