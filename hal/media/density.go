package media

import (
	"context"
	"fmt"
	"strconv"
)

// Pairs returns the numbers of n channel pairs for a density run:
// senders first .. first+n-1 and receivers first+n .. first+2n-1. Open
// both (Config.Channels = append(senders, receivers...)), and give
// PairJobs' jobs to SubmitAll.
func Pairs(first, n int) (senders, receivers []string) {
	for i := range n {
		senders = append(senders, strconv.Itoa(first+i))
		receivers = append(receivers, strconv.Itoa(first+n+i))
	}
	return senders, receivers
}

// PairJobs returns one job per pair, like tmpl: from senders[i] to
// receivers[i].
func PairJobs(senders, receivers []string, tmpl Job) []Job {
	jobs := make([]Job, min(len(senders), len(receivers)))
	for i := range jobs {
		jobs[i] = tmpl
		jobs[i].From, jobs[i].To = senders[i], receivers[i]
	}
	return jobs
}

// SubmitAll submits jobs in one go and returns their IDs in order. On an
// error it returns the IDs of the jobs submitted before it.
func (s *Server) SubmitAll(jobs []Job) ([]JobID, error) {
	ids := make([]JobID, 0, len(jobs))
	for i, j := range jobs {
		id, err := s.Submit(j)
		if err != nil {
			return ids, fmt.Errorf("job %d of %d: %w", i+1, len(jobs), err)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// WaitAll waits for every job and returns their outcomes in order; on
// ctx's end it returns the outcomes known (nil for the others) and the
// error.
func (s *Server) WaitAll(ctx context.Context, ids []JobID) ([]*Outcome, error) {
	out := make([]*Outcome, len(ids))
	for i, id := range ids {
		o, err := s.Wait(ctx, id)
		if err != nil {
			for k := i + 1; k < len(ids); k++ {
				out[k], _ = s.Result(ids[k])
			}
			return out, err
		}
		out[i] = o
	}
	return out, nil
}

// GCPercent is the garbage collector's target the commands that run a
// media server set (debug.SetGCPercent) unless GOGC says otherwise. Each
// collection takes CPU from the 20 ms ticks at once (its mark phase, and
// stopping and scanning the workers' goroutines, which then wait for a
// thread to hand them back), so the fewer the better: in one faxbench
// server run each at 1800 calls on two cores, Go's default of 100
// collected 19 times in 3 minutes and 19 ticks overran their period, 400
// collected 7 times and 11 overran. Since then a call leaves about 17 KB
// of garbage, not 150 (a channel keeps its terminal from call to call,
// page images come from pools): at 2000 calls the heap grows by under
// 1 MB/s and no collection came in the 60 s window of any of fourteen
// runs; 400 spends some hundreds of MB more heap for that.
const GCPercent = 400
