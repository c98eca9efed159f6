package calldecode

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/faxd/faxd/t30"
)

// Describe decodes a frame's FIF for the dialogue (T.30 §5.3.6.2), e.g.
// "V.17 V.29 V.27ter, fine, MR, MMR, ECM" for a DIS.
func Describe(f t30.Frame) string {
	switch f.FCF.Base() {
	case t30.DIS, t30.DTC:
		var p t30.Params
		if err := p.Unmarshal(f.FIF); err != nil {
			return err.Error()
		}
		return describeParams(&p, false)
	case t30.DCS:
		var p t30.Params
		if err := p.Unmarshal(f.FIF); err != nil {
			return err.Error()
		}
		return describeParams(&p, true)
	case t30.CSI, t30.TSI, t30.CIG, t30.SUB, t30.SID, t30.SEP, t30.PWD, t30.PSA:
		s, err := t30.ParseIdent(f.FIF)
		if err != nil {
			return err.Error()
		}
		return strconv.Quote(s)
	case t30.NSF, t30.NSS, t30.NSC:
		n, err := t30.ParseNonStandard(f.FIF)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("country %02X, provider %02X%02X, %d octets", n.Country, n.Provider[0], n.Provider[1], len(n.Info))
	case t30.PPS:
		pp, err := t30.ParsePPS(f.FIF)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("%s, page %d, block %d, %d frames", pp.FCF2, pp.Page, pp.Block, pp.Frames)
	case t30.EOR:
		fcf2, err := t30.ParseEOR(f.FIF)
		if err != nil {
			return err.Error()
		}
		return fcf2.String()
	case t30.PPR:
		m, err := t30.ParsePPR(f.FIF)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("%d frames to resend", m.Count())
	case t30.CTC:
		rate, ok, err := t30.ParseCTC(f.FIF)
		switch {
		case err != nil:
			return err.Error()
		case ok:
			return rate.String()
		}
	}
	return ""
}

// describeParams lists what a DIS or DTC offers, or what a DCS chose
// (Table 2/T.30).
func describeParams(p *t30.Params, dcs bool) string {
	var s []string
	if dcs {
		s = append(s, p.Rate.String())
	} else {
		switch p.Rate {
		case t30.ModemsV27terV29V17:
			s = append(s, "V.17 V.29 V.27ter")
		case t30.ModemsV27terV29:
			s = append(s, "V.29 V.27ter")
		case t30.ModemsV29:
			s = append(s, "V.29")
		case t30.ModemsV27ter:
			s = append(s, "V.27ter")
		case t30.ModemsV27terFallback:
			s = append(s, "V.27ter 2400")
		default:
			s = append(s, fmt.Sprintf("modems %#x", uint8(p.Rate)))
		}
	}
	add := func(on bool, name string) {
		if on {
			s = append(s, name)
		}
	}
	add(p.Fine, "fine")
	add(p.Superfine, "superfine")
	add(p.Res300x300, "300x300")
	add(p.Res400x400, "400x400")
	add(p.MR, "MR")
	add(p.MMR, "MMR")
	if p.ECM {
		switch {
		case !dcs:
			s = append(s, "ECM")
		case p.Frame64:
			s = append(s, "ECM 64")
		default:
			s = append(s, "ECM 256")
		}
	}
	add(p.T85, "JBIG")
	add(p.JPEG, "JPEG")
	s = append(s, p.Width.String(), p.Length.String(), "scan "+p.ScanTime.String())
	if !dcs {
		add(p.ReadyTransmit, "document to poll")
		add(!p.Receive, "cannot receive")
	}
	add(p.T38, "T.38")
	add(p.V8, "V.8")
	return strings.Join(s, ", ")
}
