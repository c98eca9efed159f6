package bench

import (
	"context"
	"testing"
	"time"
)

// TestRunAPI: a short run submits faxes without an error and times
// session set-ups.
func TestRunAPI(t *testing.T) {
	r, err := RunAPI(context.Background(), APIConfig{Clients: 2, Duration: 300 * time.Millisecond, Setups: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if r.Submissions == 0 || r.Errors != 0 || r.P50 <= 0 || r.Setups == 0 || r.DocumentBytes < 1000 {
		t.Fatalf("%+v", r)
	}
	t.Logf("%+v", r)
}
