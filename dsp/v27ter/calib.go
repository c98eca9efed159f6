package v27ter

// gardnerSign orients the Gardner detector's correction; calibration scales
// gainFromPower. Both are fixed by the loopback tests.
const (
	gardnerSign = -1.0
	calibration = 0.12
)
