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

// The survivors' state histories, three bits a symbol, must fit a uint64:
// the state after each of the last TracebackDepth+1 symbols and the state
// before the oldest of them, which names the branch the oldest took.
const _ = uint(64 - 3*(TracebackDepth+2))

// ringLen is the memory of branch decisions: a power of two above
// TracebackDepth.
const ringLen = 32

// inSubset lists, for each state s, the subsets (Y2 Y1 Y0) sent by the
// four branches that enter it; branch j leaves state 2j + s/4. (Every
// branch into states 0 to 3 leaves an even state, whose Y0 is 0.) Built
// from convNext, which must have that shape; Decode's add-compare-select
// is written out for these very subsets (acsSubsets).
var inSubset [8][4]uint8

// acsSubsets is inSubset as Decode spells it out.
var acsSubsets = [8][4]uint8{
	{0, 6, 2, 4}, {6, 0, 4, 2}, {2, 4, 0, 6}, {4, 2, 6, 0},
	{1, 3, 7, 5}, {5, 7, 3, 1}, {7, 5, 1, 3}, {3, 1, 5, 7},
}

// branchShift gives, for a step of a survivor from state a to state b
// (index a<<3 | b), 8 times the subset of the branch taken: the position
// of its element in a symbol's packed nearest elements.
var branchShift [64]uint8

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
			branchShift[s<<3|to] = 8 * inSubset[to][j]
		}
	}
	if inSubset != acsSubsets {
		panic("v17: the trellis does not match Decode's add-compare-select")
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
// Decode reads a cell's candidates from flat per-cell arrays: the first
// candidate of every subset, and the few second ones apart.
type subsetTable struct {
	points []complex64
	nbits  int
	first  [gridN * gridN][8][2]float32 // the first candidate of each subset, x and y times coordScale
	meta   [gridN * gridN]cellMeta
	second []secondCand
	// vec is the same grid laid out for the vector decoder
	// (viterbi_amd64.s), built only where it runs.
	vec *[gridN * gridN]vecCell
}

// vecCell is a grid cell for the vector decoder: the coordinates of the
// first and second candidate of each subset in lanes, the second repeating
// the first where a subset has only one (it is then never strictly nearer,
// so it changes nothing), and the indices as bytes, subset s in byte s.
// Every cell takes the same instructions, where the plain decoder's loop
// over a varying number of second candidates mispredicted its branch.
type vecCell struct {
	x1, y1, x2, y2 [8]float32 // times coordScale
	elems          uint64     // the first candidates' indices
	xor            uint64     // the second's index xor the first's, 0 where there is none
}

// cellMeta describes a cell's candidates beyond the first of each subset.
type cellMeta struct {
	elems uint64 // the first candidates' indices, that of subset s in byte s
	from  uint16 // where the cell's second candidates start in second
	n     uint16 // and how many there are
}

// secondCand is the second candidate of a subset in a cell.
type secondCand struct {
	x, y  float32 // times coordScale
	shift uint8   // 8 times the subset
	xor   uint8   // its index xor the first candidate's
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
	var cand [2]uint8 // the candidates of a cell and subset
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
					cand[n] = uint8(i)
					n++
				}
			}
			p := pts[cand[0]]
			t.first[c][s] = [2]float32{real(p) * coordScale, imag(p) * coordScale}
			t.meta[c].elems |= uint64(cand[0]) << (8 * s)
			if n == 2 {
				p = pts[cand[1]]
				t.second = append(t.second, secondCand{x: real(p) * coordScale, y: imag(p) * coordScale,
					shift: uint8(8 * s), xor: cand[0] ^ cand[1]})
				t.meta[c].n++
			}
		}
		t.meta[c].from = uint16(len(t.second)) - t.meta[c].n
	}
	if vectorOK {
		t.vec = new([gridN * gridN]vecCell)
		for c := range t.vec {
			v := &t.vec[c]
			for s := range 8 {
				v.x1[s], v.y1[s] = t.first[c][s][0], t.first[c][s][1]
				v.x2[s], v.y2[s] = v.x1[s], v.y1[s]
			}
			v.elems = t.meta[c].elems
			for _, p := range t.second[t.meta[c].from : t.meta[c].from+t.meta[c].n] {
				s := p.shift >> 3
				v.x2[s], v.y2[s] = p.x, p.y
				v.xor |= uint64(p.xor) << p.shift
			}
		}
	}
	return t
}

// cell returns the grid cell of z, whose parts are at most 2·gridN in
// magnitude, clamping points off the grid to its edge cells (which reach to
// infinity).
func cell(zr, zi float32) int {
	x := min(max(int(zr-gridMin), 0), gridN-1)
	y := min(max(int(zi-gridMin), 0), gridN-1)
	return x*gridN + y
}

// clampPoint returns the point Decode takes for z: not-a-number carries no
// information and counts as 0, and points far outside the constellation
// carry no more information than points at the grid's edge; clamping them
// bounds every metric.
func clampPoint(zr, zi float32) (float32, float32) {
	if zr != zr || zi != zi {
		zr, zi = 0, 0
	}
	zr = min(max(zr, 2*gridMin), -2*gridMin)
	zi = min(max(zi, 2*gridMin), -2*gridMin)
	return zr, zi
}

// Path and branch metrics are integers, squared distance times
// metricScale, so that compare-and-select needs no branches. With the
// received point clamped to the grid a branch metric stays below maxBranch
// (2·(22+9)² squared units), and the path metrics, which differ by no more
// than a few branch metrics, far below 2^31: Decode keeps them times 8
// with a label in the low bits, and even 8·8·maxBranch fits.
const (
	metricScale = 256
	coordScale  = 16 // the square root of metricScale
	maxBranch   = 2 * 31 * 31 * metricScale
)

const _ = uint(1<<31 - 8*8*maxBranch)

// A Viterbi is a soft-decision decoder for V.17's trellis code at one rate.
// It takes one received point per symbol, scaled and rotated to the
// constellation's own units (as the points of the signal-space diagrams,
// power about 40), keeps the most likely path through the 8-state trellis
// with squared Euclidean distance as the metric, and delivers each
// symbol's data bits TracebackDepth symbols later, differentially decoded.
// It allocates nothing after NewViterbi.
//
// On amd64 with AVX2 (not with the build tag purego) each symbol's branch
// metrics, add-compare-select and survivor update run in vectors
// (viterbiStep), the eight states in the lanes of one register: 24 ns a
// symbol where the plain Go took 41, with the same results bit for bit
// (TestViterbiVector).
type Viterbi struct {
	tab    *subsetTable
	metric [8]int32        // path metric of the survivor into each state, times 4, plus s/2
	paths  [2][8]uint64    // paths[n&1][s]: the states after each recent symbol on the survivor into s, newest in bits 0-2 (the vector decoder: paths[0][vecSlot[s]])
	elems  [ringLen]uint64 // elems[t&(ringLen-1)]: symbol t's nearest element of each subset, subset s in byte s
	n      int             // symbols taken since Reset
	y      uint8           // Y2 Y1 of the last symbol delivered
	y0     uint8           // Y2 Y1 to start the differential decoder with
	near   uint8           // nearest element to the last point
}

// startPenalty is the head start the path metric of state 0 gets at
// Reset: the transmitter's encoder starts there.
const startPenalty = 4 * maxBranch

// NewViterbi returns a decoder for rate (14400, 12000, 9600 or 7200 bit/s).
// Its differential decoder starts from Y2 Y1 = 1, as a long train's data
// do; see SetDiff.
func NewViterbi(rate int) (*Viterbi, error) {
	v := new(Viterbi)
	if err := v.init(rate); err != nil {
		return nil, err
	}
	return v, nil
}

// init makes v a decoder for rate, as NewViterbi does, for one held in a
// Receiver.
func (v *Viterbi) init(rate int) error {
	t, err := tableFor(rate)
	if err != nil {
		return err
	}
	*v = Viterbi{tab: t, y0: 1}
	v.Reset()
	return nil
}

// Reset starts decoding afresh: the encoder is taken to be in state 0
// before the next point (as V.17's is at the start of segment 4 of the
// training) and the differential decoder's previous Y2 Y1 is set to the
// value last given to SetDiff (1 by default).
func (v *Viterbi) Reset() {
	for s := range v.metric {
		v.metric[s] = startPenalty<<2 | int32(s>>1)
	}
	v.metric[0] = 0
	// The survivors' histories start from the states themselves, so that
	// the branch of the first symbol after Reset is known as all others.
	for s := range v.paths[0] {
		v.paths[0][s] = uint64(s)
		if useVector {
			v.paths[0][s] = uint64(vecOrder[s])
		}
	}
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
	if !(zr >= 2*gridMin && zr <= -2*gridMin && zi >= 2*gridMin && zi <= -2*gridMin) {
		zr, zi = clampPoint(zr, zi) // rare, and the branch is predicted
	}

	c := cell(zr, zi)
	zr, zi = zr*coordScale, zi*coordScale
	var hist uint64 // the best survivor's history
	if useVector {
		// The same steps in vectors (viterbi_amd64.s), with the survivors'
		// histories in one array in vecOrder.
		near, best := viterbiStep(&v.metric, &v.paths[0], &v.elems[v.n&(ringLen-1)], &t.vec[c], zr, zi)
		v.near = uint8(near)
		v.n++
		hist = v.paths[0][vecSlot[best&7]]
	} else {
		// Branch metrics: the squared distance from z to the nearest element
		// of each subset, and that element: the first candidate of each
		// subset in z's cell, then the second where a subset has two.
		var bm4 [8]int32 // the branch metrics times 4
		p := &t.first[c]
		bm4[0] = dist(zr, zi, p[0][0], p[0][1]) << 2
		bm4[1] = dist(zr, zi, p[1][0], p[1][1]) << 2
		bm4[2] = dist(zr, zi, p[2][0], p[2][1]) << 2
		bm4[3] = dist(zr, zi, p[3][0], p[3][1]) << 2
		bm4[4] = dist(zr, zi, p[4][0], p[4][1]) << 2
		bm4[5] = dist(zr, zi, p[5][0], p[5][1]) << 2
		bm4[6] = dist(zr, zi, p[6][0], p[6][1]) << 2
		bm4[7] = dist(zr, zi, p[7][0], p[7][1]) << 2
		meta := &t.meta[c]
		elems := meta.elems
		for _, p := range t.second[meta.from : meta.from+meta.n] {
			// The selections use sign masks (m is -1 where the second is
			// nearer; no value comes near 2^31) rather than branches, which
			// the random data would make unpredictable.
			s := p.shift >> 3 & 7
			d := dist(zr, zi, p.x, p.y)<<2 - bm4[s]
			m := d >> 31
			bm4[s] += d & m
			elems ^= uint64(p.xor&uint8(m)) << (p.shift & 63)
		}
		v.elems[v.n&(ringLen-1)] = elems

		// The nearest element: the first of the nearest subsets. Here and
		// below the minimum comes with its label in the low bits, so that the
		// first of equals wins and min needs no branches.
		ns := min(min(bm4[0]<<1|0, bm4[1]<<1|1), min(bm4[2]<<1|2, bm4[3]<<1|3),
			min(bm4[4]<<1|4, bm4[5]<<1|5), min(bm4[6]<<1|6, bm4[7]<<1|7)) & 7
		v.near = uint8(elems >> (8 * ns))

		// Add, compare, select: the best of the four branches into each state
		// (acsSubsets), the first of equals. A stored metric carries in its
		// low two bits the number of the branch that leaves its state, so
		// that the sums do too.
		e0, e1, e2, e3 := v.metric[0], v.metric[2], v.metric[4], v.metric[6]
		o0, o1, o2, o3 := v.metric[1], v.metric[3], v.metric[5], v.metric[7]
		var k [8]int32
		k[0] = min(e0+bm4[0], e1+bm4[6], e2+bm4[2], e3+bm4[4])
		k[1] = min(e0+bm4[6], e1+bm4[0], e2+bm4[4], e3+bm4[2])
		k[2] = min(e0+bm4[2], e1+bm4[4], e2+bm4[0], e3+bm4[6])
		k[3] = min(e0+bm4[4], e1+bm4[2], e2+bm4[6], e3+bm4[0])
		k[4] = min(o0+bm4[1], o1+bm4[3], o2+bm4[7], o3+bm4[5])
		k[5] = min(o0+bm4[5], o1+bm4[7], o2+bm4[3], o3+bm4[1])
		k[6] = min(o0+bm4[7], o1+bm4[5], o2+bm4[1], o3+bm4[3])
		k[7] = min(o0+bm4[3], o1+bm4[1], o2+bm4[5], o3+bm4[7])
		// (k is an array so that its elements, which lead to addresses, stay
		// in memory and min stays free of branches: see minMask.)
		// The survivors go from one of two arrays to the other, and the
		// metrics are stored one by one: whole-array assignments went through
		// a temporary copied in 16-byte moves, each of which had to wait for
		// the smaller stores that made it (no store-to-load forwarding); the
		// metrics are a chain from one symbol to the next.
		old, path := &v.paths[v.n&1], &v.paths[v.n&1^1]
		path[0], path[1] = old[k[0]<<1&6]<<3|0, old[k[1]<<1&6]<<3|1
		path[2], path[3] = old[k[2]<<1&6]<<3|2, old[k[3]<<1&6]<<3|3
		path[4], path[5] = old[k[4]<<1&6|1]<<3|4, old[k[5]<<1&6|1]<<3|5
		path[6], path[7] = old[k[6]<<1&6|1]<<3|6, old[k[7]<<1&6|1]<<3|7
		// The best state, the first of equals, and the least metric times 4.
		// (The compiler makes branches of min when its result leads to an
		// address, as best does, and branches would be mispredicted.)
		lk := minMask(minMask(minMask((k[0]&^3)<<1|0, (k[1]&^3)<<1|1), minMask((k[2]&^3)<<1|2, (k[3]&^3)<<1|3)),
			minMask(minMask((k[4]&^3)<<1|4, (k[5]&^3)<<1|5), minMask((k[6]&^3)<<1|6, (k[7]&^3)<<1|7)))
		best, low := lk&7, lk>>1&^3
		// Keep the metrics small: only their differences matter.
		v.metric[0], v.metric[1], v.metric[2], v.metric[3] = k[0]&^3-low|0, k[1]&^3-low|0, k[2]&^3-low|1, k[3]&^3-low|1
		v.metric[4], v.metric[5], v.metric[6], v.metric[7] = k[4]&^3-low|2, k[5]&^3-low|2, k[6]&^3-low|3, k[7]&^3-low|3
		v.n++
		hist = path[best&7]
	}
	if v.n <= TracebackDepth {
		return 0, false
	}

	// The best survivor's state after the symbol TracebackDepth ago and
	// the one before it name the branch it took, and so the subset whose
	// nearest element it sent then.
	step := hist >> (3 * TracebackDepth) & 63
	idx := uint8(v.elems[(v.n-1-TracebackDepth)&(ringLen-1)] >> (branchShift[step] & 63))

	// Differential decoding (V.17 §2.4): Q2Q1 = Y2Y1 - Y2Y1(previous), mod 4.
	y := idx >> 1 & 3
	bits = (y-v.y)&3 | idx>>3<<2
	v.y = y
	return bits, true
}

// dist returns the branch metric of a point and an element, both with
// coordinates times coordScale: the squared distance times metricScale,
// truncated.
//
// It is the metric int32(((zr-x)² + (zi-y)²) · metricScale) computed in
// float32 with every coordinate unscaled, to the last bit: scaling by a
// power of two commutes with rounding, and the differences and squares
// that leave the normal range (zr - x tiny only where x is 0, when it is
// zr, exactly) are too small for the truncated metric to notice.
//
// The squares are converted to float32 explicitly, which keeps the
// compiler from fusing one into the addition where GOAMD64=v3 allows it:
// the vector decoder rounds each, and so the metric is the same at every
// GOAMD64 level and on every path.
func dist(zr, zi, x, y float32) int32 {
	r, i := zr-x, zi-y
	return int32(float32(r*r) + float32(i*i))
}

// minMask returns min(a, b), computed with a sign mask rather than a
// comparison (a - b must not overflow).
func minMask(a, b int32) int32 {
	d := b - a
	return a + d&(d>>31)
}
