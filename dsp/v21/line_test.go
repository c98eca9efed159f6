package v21

import (
	"testing"

	"github.com/faxd/faxd/dsp/line"
)

// lineCases are the impairments of the loopback tests: every one the line
// model has, alone and together. Noise, unless given, makes 30 dB SNR at
// the received level.
var lineCases = []struct {
	name  string
	level float64 // transmit level, dBm0
	cfg   line.Config
}{
	{"clean -10 dBm0", -10, line.Config{}},
	{"-40 dBm0", -40, line.Config{}},
	{"-43 dBm0", -43, line.Config{}},
	{"-6 dBm0", -6, line.Config{}},
	{"-13 dBm0 less 30 dB loss", -13, line.Config{AttenuationDB: 30}},
	{"carrier +7 Hz", -13, line.Config{FreqOffsetHz: 7}},
	{"carrier -7 Hz", -13, line.Config{FreqOffsetHz: -7}},
	{"carrier +10 Hz", -13, line.Config{FreqOffsetHz: 10}},
	{"carrier -10 Hz", -13, line.Config{FreqOffsetHz: -10}},
	{"clock +100 ppm", -13, line.Config{ClockOffsetPPM: 100}},
	{"clock -100 ppm", -13, line.Config{ClockOffsetPPM: -100}},
	{"clock +200 ppm", -13, line.Config{ClockOffsetPPM: 200}},
	{"clock -200 ppm", -13, line.Config{ClockOffsetPPM: -200}},
	{"clock +400 ppm", -13, line.Config{ClockOffsetPPM: 400}},
	{"clock -400 ppm", -13, line.Config{ClockOffsetPPM: -400}},
	{"echo -20 dB at 100", -13, line.Config{EchoDelay: 100, EchoDB: -20}},
	{"echo -20 dB at 400", -13, line.Config{EchoDelay: 400, EchoDB: -20}},
	{"mu-law", -13, line.Config{Law: line.ULaw}},
	{"A-law", -13, line.Config{Law: line.ALaw}},
	{"A-law at -43 dBm0", -43, line.Config{Law: line.ALaw}},
	{"everything", -20, line.Config{AttenuationDB: 10, FreqOffsetHz: -10, ClockOffsetPPM: 200,
		EchoDelay: 250, EchoDB: -20, Law: line.ULaw}},
	{"everything, the other way", -10, line.Config{AttenuationDB: 33, FreqOffsetHz: 10, ClockOffsetPPM: -200,
		EchoDelay: 120, EchoDB: -20, Law: line.ALaw}},
}

// impair passes audio sent at level through the line case's model.
func impair(cfg line.Config, level float64, audio []int16, seed int64) []int16 {
	if cfg.NoiseDBm0 == 0 {
		cfg.NoiseDBm0 = line.NoiseForSNR(level-cfg.AttenuationDB, 30)
	}
	cfg.Seed = seed
	return line.Apply(cfg, audio)
}

// TestLoopbackLine sends 3000 random bits through each line case on both
// channels: zero bit errors, at most a few bits lost at the start.
func TestLoopbackLine(t *testing.T) {
	for _, ch := range []Channel{Channel1, Channel2} {
		for i, c := range lineCases {
			bits := randomBits(3000, uint64(i))
			a := impair(c.cfg, c.level, modulate(t, ch, bits, c.level, 800, 800), int64(i))
			res := demodulate(t, ch, a, 160)
			off, errs, n := compareBits(bits, res.bits, 0, 30, 100)
			if errs != 0 || off > 12 || n != len(bits)-off {
				t.Errorf("%v, %s: %d errors in %d bits, %d lost at the start", ch, c.name, errs, n, off)
			}
		}
	}
}
