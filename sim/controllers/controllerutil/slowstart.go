package controllerutil

// SlowStartInitialBatchSize is the first batch of a slow start.
const SlowStartInitialBatchSize = 1

// SlowStartBatch calls fn count times in batches of 1, 2, 4, ... and stops
// after the first batch with an error, so that a controller whose creates
// all fail (quota, admission) sends one request, not hundreds. It returns
// the number of successful calls and the first error. Upstream runs a
// batch in parallel; the simulated API server answers synchronously, so
// the batch runs in order.
func SlowStartBatch(count, initial int, fn func() error) (int, error) {
	remaining := count
	successes := 0
	for batch := min(remaining, initial); batch > 0; batch = min(2*batch, remaining) {
		var first error
		for i := 0; i < batch; i++ {
			if err := fn(); err != nil {
				if first == nil {
					first = err
				}
				continue
			}
			successes++
		}
		if first != nil {
			return successes, first
		}
		remaining -= batch
	}
	return successes, nil
}
