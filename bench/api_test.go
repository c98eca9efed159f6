package bench

import (
	"context"
	"testing"
	"time"
)

// TestRunAPI: short runs submit faxes, sealed by the API's client and
// unsealed to the bench server's own mount, without an error; the sealed
// run times session set-ups, the unsealed one none.
func TestRunAPI(t *testing.T) {
	for _, unsealed := range []bool{false, true} {
		r, err := RunAPI(context.Background(), APIConfig{Clients: 2, Duration: 300 * time.Millisecond, Setups: 200 * time.Millisecond, Unsealed: unsealed})
		if err != nil {
			t.Fatal(err)
		}
		if r.Sealed == unsealed || r.Submissions == 0 || r.Errors != 0 || r.P50 <= 0 || r.DocumentBytes < 1000 || (r.Setups == 0) != unsealed {
			t.Fatalf("unsealed %v: %+v", unsealed, r)
		}
		t.Logf("%+v", r)
	}
}
