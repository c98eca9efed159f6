package media

import (
	"bytes"
	"testing"

	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/t4"
)

// TestSubmitPrepares: Submit codes a job's pages in the format its call
// will most likely take (the server's configuration and the job's ECM),
// and the call sends them so: no page is coded in a tick (the job's
// pixels, blanked after Submit, are not what the far end gets).
func TestSubmitPrepares(t *testing.T) {
	for _, ecm := range []bool{false, true} {
		s, step := manual(t, "100", "101")
		pages := testPage(t)
		orig := pages[0]
		blank := *orig
		blank.Pix = make([]byte, len(orig.Pix))
		id, err := s.Submit(Job{From: "100", To: "101", Pages: []*document.Page{orig}, ECM: ecm})
		if err != nil {
			t.Fatal(err)
		}
		j := s.jobs[id]
		want := t4.MR
		if ecm {
			want = t4.MMR
		}
		if len(j.src.Prepared) != 1 || j.src.Prepared[0].Format.Coding != want {
			t.Fatalf("ECM %v: prepared %+v", ecm, j.src.Prepared)
		}
		j.src.Pages[0] = &blank
		for i := 0; i < 5000 && !j.finished.Load(); i++ {
			step()
		}
		o, ok := s.Result(id)
		if !ok || !o.OK() || o.Fax.Coding != want {
			t.Fatalf("ECM %v: %+v", ecm, o)
		}
		for range 200 {
			step() // the receiving end's call ends too
		}
		in, _ := s.TakeAllInbox()
		if len(in) != 1 || len(in[0].Pages) != 1 {
			t.Fatalf("ECM %v: inbox %+v", ecm, in)
		}
		got, err := in[0].Pages[0].Decode()
		if err != nil || got.Rows != orig.Rows || !bytes.Equal(got.Pix, orig.Pix) {
			t.Fatalf("ECM %v: received page differs (%v)", ecm, err)
		}
	}
}
