package v17

import (
	"fmt"
	"math"
	"sync"
)

// TracebackDepth is how many symbols the Viterbi decoder looks back before
// it commits to a decision, and so the delay of its output. SpanDSP's
// decoder uses 16 too. Nearly all of the 8-state code's error events are
// shorter: in TestCodingGain's noise a depth of 20 gives the same error
// rates, and 12 rates up to a fifth higher.
const TracebackDepth = 16

// The survivors' state histories, three bits a symbol, must fit a uint64.
const _ = uint(64 - 3*(TracebackDepth+1))

// ringLen is the survivor memory: a power of two above TracebackDepth.
const ringLen = 32

// inSubset lists, for each state s, the subsets (Y2 Y1 Y0) sent by the
// four branches that enter it; branch j leaves state 2j + s/4. (Every
// branch into states 0 to 3 leaves an even state, whose Y0 is 0.) Built
// from convNext, which must have that shape.
var inSubset [8][4]uint8

func init() {
	var seen [8][4]bool
	for s := range uint8(8) {
		for y := range uint8(4) {
			to := convNext(s, y)
			j := s >> 1
			if s&1 != to>>2 || seen[to][j] {
				panic("v17: the trellis has an unexpected shape")
			}
			seen[to][j] = true
			inSubset[to][j] = y<<1 | convY0(s)
		}
	}
}

// The branch metrics need, for a received point, the nearest signal element
// of each of the eight subsets. A grid of unit cells over the constellation
// lists, per cell and subset, the elements that can be nearest to some
// point of the cell (the edge cells reach to infinity), so the search is
// exact. The cell edges lie on the integers, as do many of the boundaries
// between the regions nearest to each element of a subset, and no cell
// has more than two candidates for a subset (buildTable checks).
const (
	gridN   = 22
	gridMin = -gridN / 2
)

// subsetTable is the grid for one rate, built once when first needed.
type subsetTable struct {
	points []complex64
	nbits  int
	cand   [gridN * gridN][8][2]uint8 // the candidates of a cell and subset (the same twice if one)
}

var (
	tableOnce [4]sync.Once
	tables    [4]*subsetTable
)

// tableFor returns the shared grid for rate, building it on first use.
func tableFor(rate int) (*subsetTable, error) {
	pts := constellation(rate)
	if pts == nil {
		return nil, fmt.Errorf("%w: %d", ErrRate, rate)
	}
	i := BitsPerSymbol(rate) - 3
	tableOnce[i].Do(func() { tables[i] = buildTable(pts, BitsPerSymbol(rate)) })
	return tables[i], nil
}

func buildTable(pts []complex64, nbits int) *subsetTable {
	t := &subsetTable{points: pts, nbits: nbits}
	edge := func(i int) (lo, hi float64, openLo, openHi bool) {
		lo = gridMin + float64(i)
		return lo, lo + 1, i == 0, i == gridN-1
	}
	for c := range gridN * gridN {
		x0, x1, ox0, ox1 := edge(c / gridN)
		y0, y1, oy0, oy1 := edge(c % gridN)
		// maxDot is the largest value of 2·z·d over the cell, or +Inf.
		maxDot := func(dx, dy float64) float64 {
			m := 0.0
			switch {
			case dx > 0 && ox1, dx < 0 && ox0:
				return math.Inf(1)
			case dx > 0:
				m += 2 * dx * x1
			case dx < 0:
				m += 2 * dx * x0
			}
			switch {
			case dy > 0 && oy1, dy < 0 && oy0:
				return math.Inf(1)
			case dy > 0:
				m += 2 * dy * y1
			case dy < 0:
				m += 2 * dy * y0
			}
			return m
		}
		for s := range 8 {
			n := 0
			// p is left out when some q of its subset is at least as near
			// as p everywhere in the cell:
			// |z-q|² <= |z-p|² ⇔ 2z·(p-q) <= |p|²-|q|².
			for i, p := range pts {
				if i&7 != s {
					continue
				}
				dominated := false
				for j, q := range pts {
					if j&7 != s || j == i {
						continue
					}
					dx, dy := float64(real(p)-real(q)), float64(imag(p)-imag(q))
					pp := float64(real(p)*real(p) + imag(p)*imag(p))
					qq := float64(real(q)*real(q) + imag(q)*imag(q))
					if maxDot(dx, dy) <= pp-qq {
						dominated = true
						break
					}
				}
				if !dominated {
					if n == 2 {
						panic("v17: more than two candidates in a grid cell")
					}
					t.cand[c][s][n] = uint8(i)
					n++
				}
			}
			if n == 1 {
				t.cand[c][s][1] = t.cand[c][s][0]
			}
		}
	}
	return t
}

// cell returns the grid cell of z (not NaN), clamping points off the grid
// to its edge cells (which reach to infinity).
func cell(zr, zi float32) int {
	x := min(max(zr-gridMin, 0), gridN-0.5)
	y := min(max(zi-gridMin, 0), gridN-0.5)
	return int(x)*gridN + int(y)
}

// Path and branch metrics are integers, squared distance times
// metricScale, so that compare-and-select needs no branches. With the
// received point clamped to the grid a branch metric stays below maxBranch
// (2·(22+9)² squared units), and the path metrics, which differ by no more
// than a few branch metrics, far below 2^31.
const (
	metricScale = 256
	maxBranch   = 2 * 31 * 31 * metricScale
)

// A Viterbi is a soft-decision decoder for V.17's trellis code at one rate.
// It takes one received point per symbol, scaled and rotated to the
// constellation's own units (as the points of the signal-space diagrams,
// power about 40), keeps the most likely path through the 8-state trellis
// with squared Euclidean distance as the metric, and delivers each
// symbol's data bits TracebackDepth symbols later, differentially decoded.
// It allocates nothing after NewViterbi.
type Viterbi struct {
	tab    *subsetTable
	metric [8]int32          // path metric of the survivor into each state
	path   [8]uint64         // the states after each recent symbol on the survivor into s, newest in bits 0-2
	elem   [ringLen][8]uint8 // elem[t][s]: the signal element of symbol t on the survivor into state s after it
	n      int               // symbols taken since Reset
	y      uint8             // Y2 Y1 of the last symbol delivered
	y0     uint8             // Y2 Y1 to start the differential decoder with
	near   uint8             // nearest element to the last point
}

// startPenalty is the head start the path metric of state 0 gets at
// Reset: the transmitter's encoder starts there.
const startPenalty = 4 * maxBranch

// NewViterbi returns a decoder for rate (14400, 12000, 9600 or 7200 bit/s).
// Its differential decoder starts from Y2 Y1 = 1, as a long train's data
// do; see SetDiff.
func NewViterbi(rate int) (*Viterbi, error) {
	t, err := tableFor(rate)
	if err != nil {
		return nil, err
	}
	v := &Viterbi{tab: t, y0: 1}
	v.Reset()
	return v, nil
}

// Reset starts decoding afresh: the encoder is taken to be in state 0
// before the next point (as V.17's is at the start of segment 4 of the
// training) and the differential decoder's previous Y2 Y1 is set to the
// value last given to SetDiff (1 by default).
func (v *Viterbi) Reset() {
	for s := range v.metric {
		v.metric[s] = startPenalty
	}
	v.metric[0] = 0
	v.n = 0
	v.y = v.y0
}

// SetDiff sets the previous Y2 Y1 (Y1 in bit 0) the differential decoder
// starts from after Reset and now: 1 for a long train, 0 for a short one,
// matching Encoder.Reset on the sending side.
func (v *Viterbi) SetDiff(y uint8) {
	v.y0 = y & 3
	v.y = v.y0
}

// BitsPerSymbol returns how many data bits each decision carries.
func (v *Viterbi) BitsPerSymbol() int { return v.tab.nbits }

// Tentative returns the signal element nearest to the last point given to
// Decode: the immediate decision, uncorrected by the code, for a
// receiver's equaliser and carrier loop, which cannot wait for the
// decoder's delay.
func (v *Viterbi) Tentative() complex64 { return v.tab.points[v.near] }

// Decode takes the received point of the next symbol. Once it has seen
// more than TracebackDepth points, it returns the data bits (Q1 in bit 0,
// then Q2, Q3...) of the symbol TracebackDepth symbols before z, and ok
// true; before that it returns ok false.
func (v *Viterbi) Decode(z complex64) (bits uint8, ok bool) {
	t := v.tab
	zr, zi := real(z), imag(z)
	if zr != zr || zi != zi { // NaN: no information
		zr, zi = 0, 0
	}
	// Points far outside the constellation carry no more information than
	// points at the grid's edge; clamping them bounds every metric.
	zr = min(max(zr, 2*gridMin), -2*gridMin)
	zi = min(max(zi, 2*gridMin), -2*gridMin)

	// Branch metrics: the squared distance from z to the nearest element
	// of each subset, and that element. The selections use sign masks
	// (m is -1 where b < a; no value comes near 2^31) rather than
	// branches, which the random data would make unpredictable.
	var bm [8]int32
	var be [8]uint8
	cand := &t.cand[cell(zr, zi)]
	pts := t.points
	for s := range 8 {
		c0, c1 := cand[s][0], cand[s][1]
		p0, p1 := pts[c0], pts[c1]
		r0, i0 := zr-real(p0), zi-imag(p0)
		r1, i1 := zr-real(p1), zi-imag(p1)
		d0 := int32((r0*r0 + i0*i0) * metricScale)
		d1 := int32((r1*r1 + i1*i1) * metricScale)
		m := (d1 - d0) >> 31
		bm[s] = d0 + (d1-d0)&m
		be[s] = c0 ^ (c0^c1)&uint8(m)
	}
	near, nd := be[0], bm[0]
	for s := 1; s < 8; s++ {
		m := (bm[s] - nd) >> 31
		nd += (bm[s] - nd) & m
		near ^= (near ^ be[s]) & uint8(m)
	}
	v.near = near

	// Add, compare, select: the best of the four branches into each state.
	// The survivors' state histories move with them (register exchange):
	// that is cheaper than tracing back through TracebackDepth steps.
	var pm [2][4]int32 // metrics of the even and the odd states
	for j := range 4 {
		pm[0][j], pm[1][j] = v.metric[2*j], v.metric[2*j+1]
	}
	elem := &v.elem[v.n&(ringLen-1)]
	var next [8]int32
	var path [8]uint64
	low, best := int32(math.MaxInt32), int32(0)
	for s := range 8 {
		h := s >> 2
		p, sub := &pm[h&1], &inSubset[s]
		m0 := p[0] + bm[sub[0]&7]
		m1 := p[1] + bm[sub[1]&7]
		m2 := p[2] + bm[sub[2]&7]
		m3 := p[3] + bm[sub[3]&7]
		a := (m1 - m0) >> 31 // -1: take 1 over 0
		b := (m3 - m2) >> 31 // -1: take 3 over 2
		m01 := m0 + (m1-m0)&a
		m23 := m2 + (m3-m2)&b
		c := (m23 - m01) >> 31 // -1: take the better of 2 and 3
		m := m01 + (m23-m01)&c
		k := ^c&(a&1) | c&(2|b&1) // the branch taken, 0 to 3
		next[s] = m
		path[s] = v.path[(2*k+int32(h))&7]<<3 | uint64(s)
		elem[s] = be[sub[k&3]&7]
		l := (m - low) >> 31
		low += (m - low) & l
		best ^= (best ^ int32(s)) & l
	}
	// Keep the metrics small: only their differences matter.
	for s := range 8 {
		v.metric[s] = next[s] - low
	}
	v.path = path
	v.n++
	if v.n <= TracebackDepth {
		return 0, false
	}

	// The best survivor's state after the symbol TracebackDepth ago, and
	// the element it sent then.
	st := v.path[best&7] >> (3 * TracebackDepth) & 7
	idx := v.elem[(v.n-1-TracebackDepth)&(ringLen-1)][st]

	// Differential decoding (V.17 §2.4): Q2Q1 = Y2Y1 - Y2Y1(previous), mod 4.
	y := idx >> 1 & 3
	bits = (y-v.y)&3 | idx>>3<<2
	v.y = y
	return bits, true
}
