package main

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/faxd/faxd/t30"
	"github.com/faxd/faxd/t38"
)

// t38Tick is the pace of a T.38 call: 20 ms of call time a tick, in real
// time. Tests run faster.
var t38Tick = 20 * time.Millisecond

// t38Flags are the options of a call over T.38.
type t38Flags struct {
	local, remote string
	redundancy    int
	fec           string
	version       int
}

// udptlEncoder builds the UDPTL encoder the flags ask for: redundancy
// (default 3, as T.38 §9.1.4 and most gateways use) or parity FEC.
func (f *t38Flags) encoder() (*t38.Encoder, error) {
	cfg := t38.EncoderConfig{Scheme: t38.SchemeRedundancy, Redundancy: f.redundancy}
	if f.fec != "" {
		span, entries, ok := strings.Cut(f.fec, ",")
		s, err1 := strconv.Atoi(span)
		e, err2 := strconv.Atoi(entries)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("%w: --fec %q: want SPAN,ENTRIES", errUsage, f.fec)
		}
		cfg = t38.EncoderConfig{Scheme: t38.SchemeFEC, FECSpan: s, FECEntries: e}
	}
	enc, err := t38.NewEncoder(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errUsage, err)
	}
	return enc, nil
}

// runT38Call runs the terminal over UDPTL on UDP, paced in real time,
// until the call ends (or an hour passes).
func runT38Call(cfg t30.Config, f *t38Flags) (*t30.Result, error) {
	if f.version < 0 || f.version > t38.MaxVersion {
		return nil, fmt.Errorf("%w: --t38-version %d (0 to %d)", errUsage, f.version, t38.MaxVersion)
	}
	laddr, err := net.ResolveUDPAddr("udp", f.local)
	if err != nil {
		return nil, fmt.Errorf("%w: --local: %v", errUsage, err)
	}
	raddr, err := net.ResolveUDPAddr("udp", f.remote)
	if err != nil {
		return nil, fmt.Errorf("%w: --remote: %v", errUsage, err)
	}
	enc, err := f.encoder()
	if err != nil {
		return nil, err
	}
	dec, err := t38.NewDecoder(t38.DecoderConfig{Version: f.version, TrimFEC: true})
	if err != nil {
		return nil, err
	}
	conn, err := net.ListenUDP("udp", laddr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var sendErr error
	out := make([]byte, 0, 1500)
	term, err := t38.NewTerminal(cfg, t38.TerminalOptions{Version: f.version}, func(ifp []byte) {
		d, err := enc.Append(out[:0], ifp)
		if err == nil {
			_, err = conn.WriteToUDP(d, raddr)
		}
		if err != nil && sendErr == nil {
			sendErr = err
		}
	})
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 65536)
	next := time.Now()
	for i := 0; !term.Done() && i < int(time.Hour/(20*time.Millisecond)); i++ {
		// Take every datagram that has come, until the tick is over.
		next = next.Add(t38Tick)
		for {
			conn.SetReadDeadline(next)
			n, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					break
				}
				return nil, err
			}
			if !from.IP.Equal(raddr.IP) || from.Port != raddr.Port {
				continue // not the far end: a stray datagram
			}
			if dec.Receive(buf[:n]) == nil {
				dec.Drain(func(d t38.Delivery) { term.Receive(d.IFP) })
			}
		}
		term.Advance(160)
		if sendErr != nil {
			return nil, sendErr
		}
	}
	if r := term.Result(); r != nil {
		return r, nil
	}
	return &t30.Result{Code: t30.ErrT1, Cause: "the call did not end within an hour"}, nil
}
