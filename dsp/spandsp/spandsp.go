//go:build spandsp

package spandsp

/*
#cgo pkg-config: spandsp
#cgo LDFLAGS: -lm
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <spandsp.h>
#include <spandsp/version.h>

enum { K_V17 = 1, K_V29, K_V27TER, K_V21CH1, K_V21CH2 };

typedef struct {
    int kind;
    void *st;
    uint8_t *bits;
    int n, pos;
    int done;
} gtx_t;

static int gtx_get_bit(void *u) {
    gtx_t *t = (gtx_t *) u;
    if (t->pos >= t->n)
        return SIG_STATUS_END_OF_DATA;
    return t->bits[t->pos++];
}

static gtx_t *gtx_new(int kind, int rate, const uint8_t *bits, int n, float level) {
    gtx_t *t = calloc(1, sizeof(*t));
    t->kind = kind;
    t->bits = malloc(n > 0 ? n : 1);
    if (n > 0)
        memcpy(t->bits, bits, n);
    t->n = n;
    switch (kind) {
    case K_V17:
        t->st = v17_tx_init(NULL, rate, 0, gtx_get_bit, t);
        v17_tx_power(t->st, level);
        break;
    case K_V29:
        t->st = v29_tx_init(NULL, rate, 0, gtx_get_bit, t);
        v29_tx_power(t->st, level);
        break;
    case K_V27TER:
        t->st = v27ter_tx_init(NULL, rate, 0, gtx_get_bit, t);
        v27ter_tx_power(t->st, level);
        break;
    default:
        t->st = fsk_tx_init(NULL, &preset_fsk_specs[kind == K_V21CH1 ? FSK_V21CH1 : FSK_V21CH2], gtx_get_bit, t);
        fsk_tx_power(t->st, level);
        break;
    }
    return t;
}

static int gtx_run(gtx_t *t, int16_t *amp, int len) {
    if (t->done)
        return 0;
    int n;
    switch (t->kind) {
    case K_V17: n = v17_tx(t->st, amp, len); break;
    case K_V29: n = v29_tx(t->st, amp, len); break;
    case K_V27TER: n = v27ter_tx(t->st, amp, len); break;
    default: n = fsk_tx(t->st, amp, len); break;
    }
    if (n < len)
        t->done = 1;
    return n;
}

static void gtx_free(gtx_t *t) {
    switch (t->kind) {
    case K_V17: v17_tx_free(t->st); break;
    case K_V29: v29_tx_free(t->st); break;
    case K_V27TER: v27ter_tx_free(t->st); break;
    default: fsk_tx_free(t->st); break;
    }
    free(t->bits);
    free(t);
}

#define GRX_MAX_STATUS 256

typedef struct {
    int kind, rate;
    void *st;
    uint8_t *bits;
    int n, cap;
    int trained, ever_trained, failed, ups, downs;
    int status[GRX_MAX_STATUS];
    int nstatus;
} grx_t;

static void grx_status(void *u, int status) {
    grx_t *r = (grx_t *) u;
    if (r->nstatus < GRX_MAX_STATUS)
        r->status[r->nstatus++] = status;
    switch (status) {
    case SIG_STATUS_TRAINING_SUCCEEDED: r->trained = 1; r->ever_trained = 1; break;
    case SIG_STATUS_TRAINING_FAILED: r->failed = 1; r->trained = 0; break;
    case SIG_STATUS_CARRIER_UP: r->ups++; break;
    case SIG_STATUS_CARRIER_DOWN: r->downs++; r->trained = 0; break;
    }
}

static void grx_put_bit(void *u, int bit) {
    grx_t *r = (grx_t *) u;
    if (bit < 0) {
        grx_status(u, bit);
        return;
    }
    if (r->kind <= K_V27TER && !r->trained)
        return;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 65536;
        r->bits = realloc(r->bits, r->cap);
    }
    r->bits[r->n++] = bit & 1;
}

static void grx_init_state(grx_t *r) {
    switch (r->kind) {
    case K_V17:
        r->st = v17_rx_init(NULL, r->rate, grx_put_bit, r);
        v17_rx_set_modem_status_handler(r->st, grx_status, r);
        break;
    case K_V29:
        r->st = v29_rx_init(NULL, r->rate, grx_put_bit, r);
        v29_rx_set_modem_status_handler(r->st, grx_status, r);
        v29_rx_signal_cutoff(r->st, -45.5f);
        break;
    case K_V27TER:
        r->st = v27ter_rx_init(NULL, r->rate, grx_put_bit, r);
        v27ter_rx_set_modem_status_handler(r->st, grx_status, r);
        break;
    default:
        r->st = fsk_rx_init(NULL, &preset_fsk_specs[r->kind == K_V21CH1 ? FSK_V21CH1 : FSK_V21CH2], FSK_FRAME_MODE_SYNC, grx_put_bit, r);
        fsk_rx_set_modem_status_handler(r->st, grx_status, r);
        fsk_rx_signal_cutoff(r->st, -45.5f);
        break;
    }
}

static void grx_free_state(grx_t *r) {
    switch (r->kind) {
    case K_V17: v17_rx_free(r->st); break;
    case K_V29: v29_rx_free(r->st); break;
    case K_V27TER: v27ter_rx_free(r->st); break;
    default: fsk_rx_free(r->st); break;
    }
}

static grx_t *grx_new(int kind, int rate) {
    grx_t *r = calloc(1, sizeof(*r));
    r->kind = kind;
    r->rate = rate;
    grx_init_state(r);
    return r;
}

static void grx_run(grx_t *r, const int16_t *amp, int len) {
    switch (r->kind) {
    case K_V17: v17_rx(r->st, amp, len); break;
    case K_V29: v29_rx(r->st, amp, len); break;
    case K_V27TER: v27ter_rx(r->st, amp, len); break;
    default: fsk_rx(r->st, amp, len); break;
    }
}

static void grx_reset(grx_t *r) {
    grx_free_state(r);
    r->n = 0;
    r->trained = r->ever_trained = r->failed = r->ups = r->downs = 0;
    r->nstatus = 0;
    grx_init_state(r);
}

static void grx_free(grx_t *r) {
    grx_free_state(r);
    free(r->bits);
    free(r);
}

static void g_awgn(int seed, float level, int16_t *out, int n) {
    awgn_state_t *a = awgn_init_dbm0(NULL, seed, level);
    for (int i = 0; i < n; i++)
        out[i] = awgn(a);
    awgn_free(a);
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Modem names a SpanDSP modem.
type Modem int

// The modems.
const (
	V17    Modem = C.K_V17
	V29    Modem = C.K_V29
	V27ter Modem = C.K_V27TER
	V21Ch1 Modem = C.K_V21CH1 // V.21 channel 1 (980/1180 Hz)
	V21Ch2 Modem = C.K_V21CH2 // V.21 channel 2 (1650/1850 Hz), T.30's control channel
)

func (m Modem) String() string {
	switch m {
	case V17:
		return "V.17"
	case V29:
		return "V.29"
	case V27ter:
		return "V.27ter"
	case V21Ch1:
		return "V.21 ch1"
	case V21Ch2:
		return "V.21 ch2"
	}
	return fmt.Sprintf("Modem(%d)", int(m))
}

// Rates lists the bit rates SpanDSP runs each modem at.
var Rates = map[Modem][]int{
	V17:    {14400, 12000, 9600, 7200},
	V29:    {9600, 7200, 4800},
	V27ter: {4800, 2400},
	V21Ch1: {300},
	V21Ch2: {300},
}

// check panics on a modem or rate SpanDSP does not have: a programmer's
// error in a test.
func check(m Modem, rate int) {
	for _, r := range Rates[m] {
		if r == rate {
			return
		}
	}
	panic(fmt.Sprintf("spandsp: %v does not run at %d bit/s", m, rate))
}

// Version is the SpanDSP release the package was built against.
const Version = C.SPANDSP_RELEASE_DATETIME_STRING

// A Tx is a SpanDSP transmitter sending a fixed sequence of bits.
type Tx struct{ t *C.gtx_t }

// NewTx returns SpanDSP's transmitter for m at rate, at levelDBm0, sending
// bits (0/1 values) and then its shutdown sequence.
func NewTx(m Modem, rate int, bits []byte, levelDBm0 float64) *Tx {
	check(m, rate)
	var p *C.uint8_t
	if len(bits) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&bits[0]))
	}
	return &Tx{C.gtx_new(C.int(m), C.int(rate), p, C.int(len(bits)), C.float(levelDBm0))}
}

// Process fills out and returns how many samples were made; fewer than
// len(out) once the transmitter has shut down.
func (t *Tx) Process(out []int16) int {
	if len(out) == 0 {
		return 0
	}
	return int(C.gtx_run(t.t, (*C.int16_t)(unsafe.Pointer(&out[0])), C.int(len(out))))
}

// Close frees the transmitter.
func (t *Tx) Close() {
	if t.t != nil {
		C.gtx_free(t.t)
		t.t = nil
	}
}

// Modulate returns the whole transmission of bits by SpanDSP's transmitter.
func Modulate(m Modem, rate int, bits []byte, levelDBm0 float64) []int16 {
	t := NewTx(m, rate, bits, levelDBm0)
	defer t.Close()
	var out []int16
	buf := make([]int16, 160)
	for {
		n := t.Process(buf)
		out = append(out, buf[:n]...)
		if n < len(buf) {
			return out
		}
	}
}

// An Rx is a SpanDSP receiver collecting the bits it decodes.
type Rx struct{ r *C.grx_t }

// NewRx returns SpanDSP's receiver for m at rate (V.29 and V.21 with the
// -45.5 dBm0 carrier cutoff SpanDSP's fax front end uses).
func NewRx(m Modem, rate int) *Rx {
	check(m, rate)
	return &Rx{C.grx_new(C.int(m), C.int(rate))}
}

// Process feeds audio to the receiver.
func (r *Rx) Process(in []int16) {
	if len(in) == 0 {
		return
	}
	C.grx_run(r.r, (*C.int16_t)(unsafe.Pointer(&in[0])), C.int(len(in)))
}

// Bits returns a copy of the data bits delivered so far: for V.17, V.29 and
// V.27ter those after training succeeded, for V.21 every bit.
func (r *Rx) Bits() []byte {
	if r.r.n == 0 {
		return nil
	}
	return C.GoBytes(unsafe.Pointer(r.r.bits), r.r.n)
}

// NumBits returns how many bits were delivered, without copying them.
func (r *Rx) NumBits() int { return int(r.r.n) }

// Result describes what the receiver reported so far.
func (r *Rx) Result() DemodResult {
	res := DemodResult{
		Trained:        r.r.ever_trained != 0,
		TrainingFailed: r.r.failed != 0,
		CarrierUp:      int(r.r.ups),
		CarrierDown:    int(r.r.downs),
	}
	for i := 0; i < int(r.r.nstatus); i++ {
		res.Status = append(res.Status, int(r.r.status[i]))
	}
	return res
}

// Reset restarts the receiver and forgets what it collected.
func (r *Rx) Reset() { C.grx_reset(r.r) }

// Close frees the receiver.
func (r *Rx) Close() {
	if r.r != nil {
		C.grx_free(r.r)
		r.r = nil
	}
}

// DemodResult is what a SpanDSP receiver reported.
type DemodResult struct {
	Trained, TrainingFailed bool
	CarrierUp, CarrierDown  int
	Status                  []int // SpanDSP's SIG_STATUS_* codes, in order
}

// SpanDSP's status codes (async.h).
const (
	StatusCarrierDown       = C.SIG_STATUS_CARRIER_DOWN
	StatusCarrierUp         = C.SIG_STATUS_CARRIER_UP
	StatusTrainingSucceeded = C.SIG_STATUS_TRAINING_SUCCEEDED
	StatusTrainingFailed    = C.SIG_STATUS_TRAINING_FAILED
)

// Demodulate feeds audio to SpanDSP's receiver in 160-sample blocks and
// returns the data bits it delivered and what it reported.
func Demodulate(m Modem, rate int, audio []int16) ([]byte, DemodResult) {
	r := NewRx(m, rate)
	defer r.Close()
	for i := 0; i < len(audio); i += 160 {
		r.Process(audio[i:min(i+160, len(audio))])
	}
	return r.Bits(), r.Result()
}

// AWGN returns n samples of SpanDSP's white Gaussian noise at levelDBm0.
func AWGN(seed int, levelDBm0 float64, n int) []int16 {
	out := make([]int16, n)
	if n > 0 {
		C.g_awgn(C.int(seed), C.float(levelDBm0), (*C.int16_t)(unsafe.Pointer(&out[0])), C.int(n))
	}
	return out
}
