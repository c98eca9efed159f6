package modems

import (
	"errors"
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
