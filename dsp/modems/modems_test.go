package modems

import (
	"errors"
	"slices"
	"testing"

	"github.com/faxd/faxd/dsp"
)

func TestFind(t *testing.T) {
	for _, c := range []struct {
		name          string
		rate, channel int
		ok            bool
	}{
		{"v29", 9600, 0, true},
		{"V29", 4800, 0, true},
		{"v27ter", 2400, 0, true},
		{"v21", 300, 1, true},
		{"v21", 300, 3, false},
		{"v29", 2400, 0, false},
		{"v22", 1200, 0, false},
	} {
		m, err := Find(c.name, c.rate, c.channel)
		if c.ok != (err == nil) || (!c.ok && !errors.Is(err, ErrUnknown)) {
			t.Errorf("Find(%q, %d, %d) = %v, %v", c.name, c.rate, c.channel, m, err)
		}
	}
}

// TestEveryModemMakes: every listed rate builds a transmitter and a
// receiver, and the transmitter sends something.
func TestEveryModemMakes(t *testing.T) {
	for _, m := range All {
		for _, rate := range m.Rates {
			n := 30
			tx, err := m.NewTransmitter(rate, 2, dsp.BitSourceFunc(func() int {
				if n--; n < 0 {
					return dsp.EndOfData
				}
				return 1
			}))
			if err != nil {
				t.Fatalf("%s %d: %v", m.Name, rate, err)
			}
			if _, err := m.NewReceiver(rate, 2, dsp.BitSinkFunc(func(int) {})); err != nil {
				t.Fatalf("%s %d: %v", m.Name, rate, err)
			}
			buf := make([]int16, 160)
			if n := tx.Process(buf); n == 0 {
				t.Errorf("%s %d: the transmitter sent nothing", m.Name, rate)
			}
		}
	}
}

// TestFindNoAllocs: a terminal looks its modems up for every transmission.
func TestFindNoAllocs(t *testing.T) {
	if n := testing.AllocsPerRun(100, func() {
		if _, err := Find("V17", 14400, 2); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Find allocates %v times", n)
	}
}

// countSource sends n pseudo-random bits from seed, then the end of data.
type countSource struct{ n, x uint32 }

func (s *countSource) GetBit() int {
	if s.n == 0 {
		return dsp.EndOfData
	}
	s.n--
	s.x = s.x*1664525 + 1013904223
	return int(s.x >> 31)
}

// sendAll runs tx to its end and returns what it sent.
func sendAll(t *testing.T, tx Transmitter) []int16 {
	t.Helper()
	var out []int16
	buf := make([]int16, 160)
	for i := 0; i < 1000; i++ {
		n := tx.Process(buf)
		out = append(out, buf[:n]...)
		if n < len(buf) {
			return out
		}
	}
	t.Fatal("the transmission does not end")
	return nil
}

// TestSetSource: a transmitter that sent one transmission and, through
// SetSource, is given another sends it exactly as a new transmitter does.
func TestSetSource(t *testing.T) {
	for _, m := range All {
		for _, rate := range m.Rates {
			used, err := m.NewTransmitter(rate, 2, &countSource{n: 500, x: 1})
			if err != nil {
				t.Fatal(err)
			}
			used.SetLevel(-10)
			first := sendAll(t, used)
			// Cut the next one short, as a call that ends mid-page.
			used.SetSource(&countSource{n: 5000, x: 7})
			used.Process(make([]int16, 333))

			used.SetSource(&countSource{n: 800, x: 2})
			got := sendAll(t, used)
			fresh, err := m.NewTransmitter(rate, 2, &countSource{n: 800, x: 2})
			if err != nil {
				t.Fatal(err)
			}
			fresh.SetLevel(-10)
			want := sendAll(t, fresh)
			if !slices.Equal(got, want) {
				t.Errorf("%s %d: after SetSource %d samples differ from a new transmitter's %d", m.Name, rate, len(got), len(want))
			}
			if slices.Equal(first, want) {
				t.Errorf("%s %d: two sources sent the same audio: the test proves nothing", m.Name, rate)
			}
		}
	}
}

// rxLog records what a receiver reports: bits and statuses in order.
type rxLog struct{ events []int }

func (l *rxLog) PutBit(b int)        { l.events = append(l.events, b) }
func (l *rxLog) status(s dsp.Status) { l.events = append(l.events, 100+int(s)) }

// TestReceiverReset: a receiver that heard a whole transmission and part
// of another, then Reset (V.17's Forget, for a new call), takes the next
// transmission exactly as a new receiver does: the same bits and the same
// events. For V.17 that transmission starts with the short train, which a
// new receiver does not take, and a receiver still holding the equaliser
// of the first would.
func TestReceiverReset(t *testing.T) {
	silence := make([]int16, 800)
	signal := func(m *Modem, rate int, n, seed uint32, short bool) []int16 {
		tx, err := m.NewTransmitter(rate, 2, &countSource{n: n, x: seed})
		if err != nil {
			t.Fatal(err)
		}
		if s, ok := tx.(interface{ SetShortTrain(bool) }); ok {
			s.SetShortTrain(short)
		}
		return append(sendAll(t, tx), silence...)
	}
	run := func(rx Receiver, sig []int16) {
		for len(sig) > 0 {
			n := min(len(sig), 160)
			rx.Process(sig[:n])
			sig = sig[n:]
		}
	}
	for _, m := range All {
		for _, rate := range m.Rates {
			m := m
			first := signal(&m, rate, 3000, 1, false)
			cut := signal(&m, rate, 3000, 2, false)
			next := signal(&m, rate, 2000, 3, true)

			var used, fresh rxLog
			rx, err := m.NewReceiver(rate, 2, &used)
			if err != nil {
				t.Fatal(err)
			}
			rx.SetStatusHandler(used.status)
			run(rx, first)
			run(rx, cut[:len(cut)/2])
			if f, ok := rx.(interface{ Forget() }); ok {
				f.Forget()
			} else {
				rx.Reset()
			}
			used.events = used.events[:0]
			run(rx, next)

			rx, err = m.NewReceiver(rate, 2, &fresh)
			if err != nil {
				t.Fatal(err)
			}
			rx.SetStatusHandler(fresh.status)
			run(rx, next)
			if !slices.Equal(used.events, fresh.events) {
				t.Errorf("%s %d: after Reset %d events, a new receiver %d", m.Name, rate, len(used.events), len(fresh.events))
			}
		}
	}
}
