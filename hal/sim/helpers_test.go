package sim_test

import (
	"github.com/faxd/faxd/dsp"
	"github.com/faxd/faxd/t30"
)

func t30Config() t30.Config { return t30.Config{} }

// level is the mean power of x in dBm0.
func level(x []int16) float64 {
	var p float64
	for _, s := range x {
		p += float64(s) * float64(s)
	}
	return dsp.DBm0FromPower(p / float64(len(x)))
}
