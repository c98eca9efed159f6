package t30

// Phase B negotiation (T.30 §5.3.6.2.1, Table 2/T.30): the DIS or DTC a
// terminal offers, and the DCS a transmitter chooses from the other
// terminal's DIS/DTC and the page it is about to send.

import (
	"fmt"

	"github.com/faxd/faxd/t30/document"
	"github.com/faxd/faxd/t30/t4"
)

// A ModemSet is a set of fast modems a terminal may use. The zero value
// means all of them.
type ModemSet uint8

// Modems of T.30 §5.3.2 (Table 2/T.30 bits 11-14).
const (
	ModemV27ter ModemSet = 1 << iota // V.27 ter, 4800 and 2400 bit/s
	ModemV29                         // V.29, 9600 and 7200 bit/s
	ModemV17                         // V.17, 14 400 to 7200 bit/s
	AllModems   = ModemV27ter | ModemV29 | ModemV17
)

func (m ModemSet) orAll() ModemSet {
	if m == 0 {
		return AllModems
	}
	return m
}

// disRate returns the DIS/DTC bits 11-14 offering the set (Table 2/T.30
// has no code for V.17 without V.29 and V.27 ter; V.17 implies both).
func (m ModemSet) disRate() Rate {
	m = m.orAll()
	switch {
	case m&ModemV17 != 0:
		return ModemsV27terV29V17
	case m&ModemV29 != 0 && m&ModemV27ter != 0:
		return ModemsV27terV29
	case m&ModemV29 != 0:
		return ModemsV29
	case m&ModemV27ter != 0:
		return ModemsV27ter
	}
	return ModemsV27terFallback
}

// allows reports whether the DCS rate r uses a modem of the set.
func (m ModemSet) allows(r Rate) bool {
	m = m.orAll()
	name, _, ok := r.Modem()
	if !ok {
		return false
	}
	switch name {
	case "V.17":
		return m&ModemV17 != 0
	case "V.29":
		return m&ModemV29 != 0
	}
	return m&ModemV27ter != 0
}

// fallbackRates is the order in which a transmitter steps down after FTT
// (T.30 §5.3.2.3 leaves the order to the terminal; this is the usual one,
// SpanDSP's): V.17 14 400 to 7200, V.29 9600 and 7200, V.27 ter 4800 and
// 2400.
var fallbackRates = [...]Rate{V17_14400, V17_12000, V17_9600, V17_7200, V29_9600, V29_7200, V27ter4800, V27ter2400}

// fallbackList returns the rates, best first, that the remote DIS/DTC
// offers and the local configuration allows.
func fallbackList(remote Rate, local ModemSet, maxBPS int) []Rate {
	var out []Rate
	for _, r := range fallbackRates {
		_, bps, _ := r.Modem()
		if remote.Offers(r) && local.allows(r) && (maxBPS <= 0 || bps <= maxBPS) {
			out = append(out, r)
		}
	}
	return out
}

// A Res is a vertical resolution of T.4 §2.2 at 8 pels/mm.
type Res int

// Resolutions. The zero value of Config.MaxRes means ResSuperfine.
const (
	ResStandard  Res = iota + 1 // 3.85 lines/mm
	ResFine                     // 7.7 lines/mm (DIS/DCS bit 15)
	ResSuperfine                // 15.4 lines/mm (DIS/DCS bit 41)
)

// resOf classifies a page's vertical resolution in dots per inch.
func resOf(yDPI int) Res {
	switch {
	case yDPI >= 300:
		return ResSuperfine
	case yDPI >= 150:
		return ResFine
	}
	return ResStandard
}

// Resolution returns the customary inch values of r.
func (r Res) Resolution() document.Resolution {
	switch r {
	case ResFine:
		return document.Fine
	case ResSuperfine:
		return document.Superfine
	}
	return document.Standard
}

func (r Res) String() string {
	switch r {
	case ResStandard:
		return "standard"
	case ResFine:
		return "fine"
	case ResSuperfine:
		return "superfine"
	}
	return fmt.Sprintf("Res(%d)", int(r))
}

// widthCode returns the DCS width code for a scan line of pels pixels at
// 8 pels/mm: the narrowest that holds it (T.4 §2.2).
func widthCode(pels int) Width {
	switch {
	case pels > 2048:
		return Width303
	case pels > 1728:
		return Width255
	}
	return Width215
}

// localParams builds the DIS (or DTC) this terminal offers (Table 2/T.30).
func localParams(cfg *Config, dtc bool) Params {
	var p Params
	p.Receive = cfg.Sink != nil
	p.ReadyTransmit = !dtc && cfg.Source != nil
	p.Rate = cfg.Modems.disRate()
	maxRes := cfg.MaxRes
	if maxRes == 0 {
		maxRes = ResSuperfine
	}
	p.Fine = maxRes >= ResFine
	p.Superfine = maxRes >= ResSuperfine
	coding := cfg.MaxCoding
	if coding == 0 {
		coding = t4.MMR
	}
	p.MR = coding >= t4.MR
	p.ECM = cfg.ECM
	p.MMR = cfg.ECM && coding >= t4.MMR // T.6 coding needs ECM (Table 2/T.30 note)
	p.Prefer64 = cfg.ECM && cfg.Frame64
	p.Width = Width303
	p.Length = LengthUnlimited
	p.ScanTime = cfg.ScanTime
	p.Subaddress = true
	p.Password = true
	p.FNV = false
	return p
}

// session is what a DCS settles for the pages that follow it.
type session struct {
	rate      Rate
	ecm       bool
	frame64   bool
	coding    t4.Coding
	res       Res
	width     Width
	minScanMs int // minimum scan line time the transmitter respects (0 with ECM)
}

func (s *session) bps() int {
	_, b, _ := s.rate.Modem()
	return b
}

// frameSize is the ECM frame's data length (T.4 Annex A: 256 or 64 octets).
func (s *session) frameSize() int {
	if s.frame64 {
		return 64
	}
	return 256
}

// minLineBits is T.4 §4.1.3's minimum coded line length: bit rate times
// the minimum scan line time.
func (s *session) minLineBits() int {
	if s.ecm {
		return 0
	}
	return s.bps() * s.minScanMs / 1000
}

// mrK is the MR K factor of T.4 §4.2.1: 2 at standard, 4 at higher
// resolutions.
func (s *session) mrK() int {
	if s.res >= ResFine {
		return 4
	}
	return 2
}

// chooseSession picks the DCS parameters from the remote DIS/DTC, the local
// configuration, the page to send and the rate reached so far.
func chooseSession(cfg *Config, remote *Params, page PageInfo, rate Rate) session {
	s := session{rate: rate}
	s.ecm = cfg.ECM && remote.ECM
	s.frame64 = s.ecm && (cfg.Frame64 || remote.Prefer64)
	maxCoding := cfg.MaxCoding
	if maxCoding == 0 {
		maxCoding = t4.MMR
	}
	switch {
	case s.ecm && remote.MMR && maxCoding >= t4.MMR:
		s.coding = t4.MMR
	case remote.MR && maxCoding >= t4.MR:
		s.coding = t4.MR
	default:
		s.coding = t4.MH
	}
	want := resOf(page.Res.Y)
	if cfg.MaxRes != 0 && want > cfg.MaxRes {
		want = cfg.MaxRes
	}
	can := ResStandard
	if remote.Fine {
		can = ResFine
	}
	if remote.Superfine {
		can = ResSuperfine
	}
	s.res = min(want, can)
	w := remote.Width
	if w > Width303 {
		w = Width215 // invalid code: assume A4 only
	}
	s.width = min(widthCode(page.Width), w)
	if !s.ecm {
		std, fine := remote.ScanTime.Millis()
		ms := std
		if s.res >= ResFine {
			ms = fine
		}
		if s.res == ResSuperfine && remote.ScanTimeHalf {
			ms = (ms + 1) / 2 // bit 46: T15.4 = 1/2 T7.7
		}
		s.minScanMs = ms
	}
	return s
}

// dcs builds the DCS FIF for s (Table 2/T.30, DCS column).
func (s *session) dcs(remote *Params, page PageInfo, sub, sid bool) Params {
	var p Params
	p.Receive = true
	p.Rate = s.rate
	p.ECM = s.ecm
	p.Frame64 = s.frame64
	p.MR = s.coding == t4.MR
	p.MMR = s.coding == t4.MMR
	switch s.res {
	case ResFine:
		p.Fine = true
	case ResSuperfine:
		p.Superfine = true
	}
	p.Width = s.width
	p.Length = LengthA4
	if page.Rows > s.res.Resolution().Rows(document.A4LengthMM)+s.res.Resolution().Y/4 {
		if remote.Length == LengthUnlimited {
			p.Length = LengthUnlimited
		} else if remote.Length == LengthB4 {
			p.Length = LengthB4
		}
	}
	st, _ := DCSScanTime(roundScan(s.minScanMs))
	p.ScanTime = st
	p.Subaddress = sub
	p.Password = sid
	return p
}

// roundScan rounds a minimum scan time up to one DCS can express.
func roundScan(ms int) int {
	for _, v := range []int{0, 5, 10, 20, 40} {
		if ms <= v {
			return v
		}
	}
	return 40
}

// sessionFromDCS is the receiver's view of a DCS.
func sessionFromDCS(p *Params) (session, error) {
	s := session{rate: p.Rate, ecm: p.ECM, frame64: p.ECM && p.Frame64}
	if _, _, ok := p.Rate.Modem(); !ok {
		return s, fmt.Errorf("%w: DCS rate code %#x", ErrFIF, uint8(p.Rate))
	}
	switch {
	case p.MMR:
		if !p.ECM {
			return s, fmt.Errorf("%w: DCS asks for T.6 without ECM", ErrFIF)
		}
		s.coding = t4.MMR
	case p.MR:
		s.coding = t4.MR
	default:
		s.coding = t4.MH
	}
	switch {
	case p.Superfine:
		s.res = ResSuperfine
	case p.Fine:
		s.res = ResFine
	default:
		s.res = ResStandard
	}
	s.width = p.Width
	if s.width > Width303 {
		return s, fmt.Errorf("%w: DCS width code %d", ErrFIF, s.width)
	}
	if st, _ := p.ScanTime.Millis(); !s.ecm {
		s.minScanMs = st
	}
	return s, nil
}
