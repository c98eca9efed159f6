package store

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestJobs(t *testing.T) {
	s, path := open(t)
	s.CreateAccount(ctx, "acme", nil)
	s.CreateAccount(ctx, "beta", nil)
	nb := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	spec := json.RawMessage(`{"to":["+15550100"]}`)
	var ids []string
	for i := range 7 {
		id, err := s.CreateJob(ctx, Job{Account: "acme", Submitter: "sender", Spec: spec, Priority: i % 3, NotBefore: nb,
			Documents:  []Document{{Object: "doc_a", ContentType: "application/pdf", Size: 1000}, {Object: "doc_b", ContentType: "image/tiff", Size: 20}},
			Recipients: []Recipient{{Number: "+15550100"}}})
		if err != nil || !strings.HasPrefix(id, "fax_") || len(id) != 28 {
			t.Fatalf("%q %v", id, err)
		}
		ids = append(ids, id)
	}
	j, err := s.Job(ctx, "acme", ids[2])
	if err != nil || j.State != JobQueued || j.Priority != 2 || !j.NotBefore.Equal(nb) || string(j.Spec) != string(spec) ||
		len(j.Documents) != 2 || j.Documents[1].ContentType != "image/tiff" {
		t.Fatalf("%+v %v", j, err)
	}
	if _, err := s.Job(ctx, "beta", ids[2]); !errors.Is(err, ErrNotFound) {
		t.Errorf("through another account: %v", err)
	}
	for name, bad := range map[string]Job{
		"no spec":       {Account: "acme", Documents: []Document{{Object: "x"}}, Recipients: []Recipient{{Number: "+1"}}},
		"no documents":  {Account: "acme", Spec: spec, Recipients: []Recipient{{Number: "+1"}}},
		"no recipients": {Account: "acme", Spec: spec, Documents: []Document{{Object: "x"}}},
		"no account":    {Account: "nobody", Spec: spec, Documents: []Document{{Object: "x"}}, Recipients: []Recipient{{Number: "+1"}}},
	} {
		if _, err := s.CreateJob(ctx, bad); err == nil {
			t.Errorf("%s: created", name)
		}
	}
	// Pages of three, newest first, then none left.
	var got []string
	cursor := ""
	for page := 0; ; page++ {
		jobs, next, err := s.ListJobs(ctx, "acme", ListOptions{Limit: 3, After: cursor})
		if err != nil || page > 3 {
			t.Fatal(err)
		}
		for _, j := range jobs {
			got = append(got, j.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(got) != 7 || got[0] != ids[6] || got[6] != ids[0] {
		t.Fatalf("listed %v", got)
	}
	if jobs, _, _ := s.ListJobs(ctx, "beta", ListOptions{}); len(jobs) != 0 {
		t.Errorf("beta sees %d jobs", len(jobs))
	}
	// Cancel a queued job; a sent one cannot be; another account's is not
	// there.
	if err := s.SetJobState(ctx, "acme", ids[0], JobCanceled, JobQueued); err != nil {
		t.Fatal(err)
	}
	if err := s.SetJobState(ctx, "acme", ids[0], JobCanceled, JobQueued); !errors.Is(err, ErrState) {
		t.Errorf("canceled twice: %v", err)
	}
	if err := s.SetJobState(ctx, "beta", ids[1], JobCanceled, JobQueued); !errors.Is(err, ErrNotFound) {
		t.Errorf("another account's: %v", err)
	}
	if jobs, _, _ := s.ListJobs(ctx, "acme", ListOptions{State: JobCanceled}); len(jobs) != 1 || jobs[0].ID != ids[0] {
		t.Errorf("canceled: %v", jobs)
	}
	for _, o := range []ListOptions{{Limit: 501}, {Limit: -1}, {After: "!!"}, {After: "-5"}} {
		if _, _, err := s.ListJobs(ctx, "acme", o); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: %v", o, err)
		}
	}
	// Durable: reopened, the jobs are there.
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if j, err := s2.Job(ctx, "acme", ids[6]); err != nil || len(j.Documents) != 2 {
		t.Fatalf("reopened: %v", err)
	}
}
