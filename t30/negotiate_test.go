package t30

import (
	"slices"
	"testing"

	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/t4"
)

func TestFallbackList(t *testing.T) {
	for _, tc := range []struct {
		remote Rate
		local  ModemSet
		max    int
		want   []Rate
	}{
		{ModemsV27terV29V17, 0, 0, fallbackRates[:]},
		{ModemsV27terV29, 0, 0, []Rate{V29_9600, V29_7200, V27ter4800, V27ter2400}},
		{ModemsV27ter, 0, 0, []Rate{V27ter4800, V27ter2400}},
		{ModemsV27terFallback, 0, 0, []Rate{V27ter2400}},
		{ModemsV29, 0, 0, []Rate{V29_9600, V29_7200, V27ter2400}},
		{ModemsV27terV29V17, ModemV29, 0, []Rate{V29_9600, V29_7200}},
		{ModemsV27terV29V17, 0, 9600, []Rate{V17_9600, V17_7200, V29_9600, V29_7200, V27ter4800, V27ter2400}},
	} {
		if got := fallbackList(tc.remote, tc.local, tc.max); !slices.Equal(got, tc.want) {
			t.Errorf("%#x %v %d: %v, want %v", uint8(tc.remote), tc.local, tc.max, got, tc.want)
		}
	}
}

func TestModemSetDIS(t *testing.T) {
	for set, want := range map[ModemSet]Rate{
		0: ModemsV27terV29V17, ModemV17: ModemsV27terV29V17, ModemV29 | ModemV27ter: ModemsV27terV29,
		ModemV29: ModemsV29, ModemV27ter: ModemsV27ter,
	} {
		if got := set.disRate(); got != want {
			t.Errorf("%v: %#x want %#x", set, got, want)
		}
	}
}

func TestChooseSession(t *testing.T) {
	a4 := func(res document.Resolution) PageInfo { return PageInfo{Width: 1728, Res: res, Rows: 1100} }
	remoteAll := localParams(&Config{ECM: true, Sink: &MemorySink{}}, false)
	remoteStd := Params{Rate: ModemsV27terV29, Width: Width215}
	for _, tc := range []struct {
		name   string
		cfg    Config
		remote Params
		page   PageInfo
		want   session
	}{
		{"all ECM", Config{ECM: true}, remoteAll, a4(document.Fine),
			session{rate: V17_14400, ecm: true, coding: t4.MMR, res: ResFine, width: Width215}},
		{"no ECM locally", Config{}, remoteAll, a4(document.Fine),
			session{rate: V17_14400, coding: t4.MR, res: ResFine, width: Width215, minScanMs: 20}},
		{"MH only", Config{MaxCoding: t4.MH}, remoteAll, a4(document.Standard),
			session{rate: V17_14400, coding: t4.MH, res: ResStandard, width: Width215, minScanMs: 20}},
		{"plain remote", Config{ECM: true}, remoteStd, a4(document.Superfine),
			session{rate: V17_14400, coding: t4.MH, res: ResStandard, width: Width215, minScanMs: 20}},
		{"64 octet frames", Config{ECM: true, Frame64: true}, remoteAll, a4(document.Superfine),
			session{rate: V17_14400, ecm: true, frame64: true, coding: t4.MMR, res: ResSuperfine, width: Width215}},
		{"B4 page to A4", Config{}, remoteStd, PageInfo{Width: 2048, Res: document.Standard},
			session{rate: V17_14400, coding: t4.MH, res: ResStandard, width: Width215, minScanMs: 20}},
	} {
		got := chooseSession(&tc.cfg, &tc.remote, tc.page, V17_14400)
		if got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
		// The receiver reads the same session back from the DCS.
		dcs := got.dcs(&tc.remote, tc.page, false, false)
		fif := dcs.AppendTo(nil)
		var p Params
		if err := p.Unmarshal(fif); err != nil {
			t.Fatal(err)
		}
		back, err := sessionFromDCS(&p)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if back.rate != got.rate || back.coding != got.coding || back.res != got.res || back.ecm != got.ecm || back.frame64 != got.frame64 || back.width != got.width {
			t.Errorf("%s: DCS round trip %+v, want %+v", tc.name, back, got)
		}
	}
}

func TestSessionFromDCSErrors(t *testing.T) {
	for _, p := range []Params{
		{Rate: 0x4},                 // reserved rate code
		{Rate: V29_9600, MMR: true}, // T.6 without ECM
		{Rate: V29_9600, Width: 3},  // invalid width
	} {
		if _, err := sessionFromDCS(&p); err == nil {
			t.Errorf("%+v accepted", p)
		}
	}
}

func TestMinLineBits(t *testing.T) {
	s := session{rate: V29_9600, minScanMs: 20}
	if got := s.minLineBits(); got != 192 {
		t.Fatalf("%d, want 192 (T.4 §4.1.3: 9600 bit/s x 20 ms)", got)
	}
	s.ecm = true
	if s.minLineBits() != 0 {
		t.Fatal("ECM needs no fill")
	}
}
