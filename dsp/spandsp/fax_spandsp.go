//go:build spandsp

package spandsp

/*
#cgo pkg-config: spandsp
#cgo LDFLAGS: -lm
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <spandsp.h>

// gfax_t is one SpanDSP fax terminal over audio (fax_state_t) and what its
// T.30 engine reported. It lives in C memory; the phase handlers get a
// pointer to it, never to Go memory.
typedef struct {
    fax_state_t *fax;
    t30_state_t *t30;
    int done;           // phase E reached
    int completion;     // phase E completion code (T30_ERR_*)
    t30_stats_t stats;  // t30_get_transfer_statistics at phase E
    char remote_ident[T30_MAX_IDENT_LEN + 1];
    int phase_b, phase_d; // how many times each handler ran
    int last_phase_d;     // the last post-page command phase D reported
    long long samples;    // samples fed to fax_rx (= made by fax_tx)
    char tag[32];         // log tag: span_log_set_tag keeps the pointer
} gfax_t;

static int gfax_phase_b(t30_state_t *s, void *u, int result) {
    gfax_t *f = (gfax_t *) u;
    f->phase_b++;
    return T30_ERR_OK;
}

static int gfax_phase_d(t30_state_t *s, void *u, int result) {
    gfax_t *f = (gfax_t *) u;
    f->phase_d++;
    f->last_phase_d = result;
    return T30_ERR_OK;
}

static void gfax_phase_e(t30_state_t *s, void *u, int completion_code) {
    gfax_t *f = (gfax_t *) u;
    const char *id;
    f->completion = completion_code;
    t30_get_transfer_statistics(s, &f->stats);
    id = t30_get_rx_ident(s);
    if (id != NULL) {
        strncpy(f->remote_ident, id, T30_MAX_IDENT_LEN);
        f->remote_ident[T30_MAX_IDENT_LEN] = '\0';
    }
    f->done = 1;
}

// gfax_new makes a terminal. Strings are copied by SpanDSP; the caller
// frees them. It returns a negative code when an option was refused.
static gfax_t *gfax_new(int caller, const char *tx_file, const char *rx_file, int ecm,
                        int modems, int compressions, const char *ident, int log, const char *tag,
                        int *err) {
    gfax_t *f = calloc(1, sizeof(*f));
    *err = 0;
    if (f == NULL) {
        *err = -1;
        return NULL;
    }
    f->completion = -1;
    f->fax = fax_init(NULL, caller);
    if (f->fax == NULL) {
        free(f);
        *err = -2;
        return NULL;
    }
    fax_set_transmit_on_idle(f->fax, 1);
    fax_set_tep_mode(f->fax, 0);
    f->t30 = fax_get_t30_state(f->fax);
    if (ident != NULL && t30_set_tx_ident(f->t30, ident) < 0)
        *err = -3;
    if (modems != 0)
        t30_set_supported_modems(f->t30, modems);
    t30_set_ecm_capability(f->t30, ecm);
    if (compressions != 0)
        t30_set_supported_compressions(f->t30, compressions);
    if (tx_file != NULL)
        t30_set_tx_file(f->t30, tx_file, -1, -1);
    if (rx_file != NULL)
        t30_set_rx_file(f->t30, rx_file, -1);
    t30_set_phase_b_handler(f->t30, gfax_phase_b, f);
    t30_set_phase_d_handler(f->t30, gfax_phase_d, f);
    t30_set_phase_e_handler(f->t30, gfax_phase_e, f);
    if (log) {
        int level = SPAN_LOG_SHOW_TAG | SPAN_LOG_SHOW_SAMPLE_TIME | SPAN_LOG_FLOW;
        span_log_set_level(t30_get_logging_state(f->t30), level);
        strncpy(f->tag, tag, sizeof(f->tag) - 1);
        span_log_set_tag(t30_get_logging_state(f->t30), f->tag);
        span_log_set_level(fax_get_logging_state(f->fax), level);
        span_log_set_tag(fax_get_logging_state(f->fax), f->tag);
    }
    return f;
}

// gfax_process runs whole 160-sample blocks (the last may be shorter):
// fax_rx on in, then fax_tx into out, padding out with silence.
static void gfax_process(gfax_t *f, int16_t *in, int16_t *out, int n) {
    for (int i = 0; i < n; i += 160) {
        int len = n - i < 160 ? n - i : 160;
        fax_rx(f->fax, in + i, len);
        int m = fax_tx(f->fax, out + i, len);
        if (m < 0)
            m = 0;
        if (m < len)
            memset(out + i + m, 0, (len - m) * sizeof(int16_t));
        f->samples += len;
        span_log_bump_samples(t30_get_logging_state(f->t30), len);
        span_log_bump_samples(fax_get_logging_state(f->fax), len);
    }
}

static void gfax_terminate(gfax_t *f) {
    t30_terminate(f->t30);
}

static void gfax_free(gfax_t *f) {
    // fax_free releases the T.30 engine (closing the TIFF files; phase E may
    // run now if the call did not finish) and frees the state.
    fax_free(f->fax);
    free(f);
}

static const char *gfax_encoding_str(int encoding) {
    return t4_encoding_to_str(encoding);
}

static const char *gfax_code_str(int code) {
    return t30_completion_code_to_str(code);
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// FaxModems is a set of image-transfer modems (T30_SUPPORT_*).
type FaxModems int

// The modems a fax terminal may offer or choose for the image.
const (
	SupportV27ter FaxModems = C.T30_SUPPORT_V27TER // 4800, 2400 bit/s
	SupportV29    FaxModems = C.T30_SUPPORT_V29    // 9600, 7200 bit/s
	SupportV17    FaxModems = C.T30_SUPPORT_V17    // 14400 .. 7200 bit/s
)

// FaxCompressions is a set of image codings (T30_SUPPORT_*_COMPRESSION).
type FaxCompressions int

// The codings SpanDSP 0.0.6 offers over T.30.
const (
	CompressT4_1D FaxCompressions = C.T30_SUPPORT_T4_1D_COMPRESSION // MH
	CompressT4_2D FaxCompressions = C.T30_SUPPORT_T4_2D_COMPRESSION // MR
	CompressT6    FaxCompressions = C.T30_SUPPORT_T6_COMPRESSION    // MMR, ECM only
)

// T.30 completion codes (phase E) most tests look for; the rest are in
// SpanDSP's t30.h and named by FaxResult.Text.
const (
	T30ErrOK          = C.T30_ERR_OK
	T30ErrCannotTrain = C.T30_ERR_CANNOT_TRAIN
	T30ErrUnexpected  = C.T30_ERR_UNEXPECTED
	T30ErrCallDropped = C.T30_ERR_CALLDROPPED
)

// FaxOptions configure a Fax.
//
// SpanDSP 0.0.6 has no call to cap the image bit rate (t30_api.h offers
// none), so there is no MaxRate option: restrict Modems instead. Note that T.30 cannot advertise V.17 alone in a DIS, so
// SpanDSP's DIS for Modems = SupportV17 also allows V.29 and V.27ter
// fallback.
type FaxOptions struct {
	TxFile string // TIFF to send (sender); "" sends nothing
	RxFile string // TIFF to write what is received (receiver); "" receives nothing
	ECM    bool   // offer/use error correction mode (T.30 Annex A)
	// Modems to offer; 0 keeps SpanDSP's default (V.27ter, V.29 and V.17).
	Modems FaxModems
	// Compressions to offer; 0 keeps SpanDSP's default (T.4 1-D and 2-D),
	// plus T.6 when ECM is on.
	Compressions FaxCompressions
	Ident        string // local ident (TSI/CSI), at most 20 characters
	Log          bool   // SpanDSP's T.30 and front-end flow log to stderr
	LogTag       string // tag on log lines (31 bytes kept); "" gives "caller" or "answerer"
}

// FaxResult is what a terminal reported at phase E.
type FaxResult struct {
	Code          int    // T.30 completion code (T30_ERR_*), -1 before phase E
	Text          string // t30_completion_code_to_str(Code)
	Pages         int    // pages transferred: the larger of PagesTx and PagesRx
	PagesTx       int    // pages sent
	PagesRx       int    // pages received
	BitRate       int    // image bit rate last used
	ECM           bool   // whether ECM was used
	RemoteIdent   string // the far end's TSI/CSI
	BadRows       int    // bad rows of the last page (receiver, non-ECM)
	LongestBadRun int    // longest run of bad rows in the last page
	Width, Length int    // pixels and rows of the last page (Length is 0 on an ECM receiver)
	Encoding      string // image coding on the line (t4_encoding_to_str), "" before phase E
	ECMRetries    int    // ECM frame retransmission rounds
	PhaseB        int    // times phase B was reported (DIS/DCS received)
	PhaseD        int    // times phase D was reported (post-page commands)
	Samples       int64  // audio samples processed so far
}

// Fax is SpanDSP's fax terminal over audio: T.30 with the V.21, V.27ter,
// V.29 and V.17 modems, reading and writing TIFF files through libtiff. The
// phase handlers are C functions writing into C memory, so no Go pointer is
// ever kept by C.
type Fax struct {
	f *C.gfax_t
}

// NewFax returns a terminal: caller sends CNG and is the calling party.
// Either side can send (TxFile) or receive (RxFile). It panics on options
// SpanDSP cannot take (a path of 256 bytes or more, an ident longer than 20).
func NewFax(caller bool, opts FaxOptions) *Fax {
	if len(opts.TxFile) >= 256 || len(opts.RxFile) >= 256 {
		panic("spandsp: TIFF path too long for SpanDSP (255 bytes at most)")
	}
	tag := opts.LogTag
	if tag == "" {
		tag = "answerer"
		if caller {
			tag = "caller"
		}
	}
	cs := func(s string) *C.char {
		if s == "" {
			return nil
		}
		return C.CString(s)
	}
	tx, rx, id, ctag := cs(opts.TxFile), cs(opts.RxFile), cs(opts.Ident), C.CString(tag)
	defer func() {
		for _, p := range []*C.char{tx, rx, id, ctag} {
			if p != nil {
				C.free(unsafe.Pointer(p))
			}
		}
	}()
	comp := opts.Compressions
	if comp == 0 && opts.ECM {
		comp = CompressT4_1D | CompressT4_2D | CompressT6
	}
	var err C.int
	f := C.gfax_new(cbool(caller), tx, rx, cbool(opts.ECM), C.int(opts.Modems), C.int(comp),
		id, cbool(opts.Log), ctag, &err)
	if f == nil {
		panic(fmt.Sprintf("spandsp: fax_init failed (%d)", int(err)))
	}
	if err != 0 {
		C.gfax_free(f)
		panic(fmt.Sprintf("spandsp: ident %q refused (at most 20 characters)", opts.Ident))
	}
	return &Fax{f: f}
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}

// Process feeds in (what the terminal hears) and fills out (what it sends),
// both the same length, in 160-sample blocks: fax_rx then fax_tx per block,
// out padded with silence when fax_tx makes fewer samples. One cgo call per
// Process.
func (x *Fax) Process(in, out []int16) {
	if len(in) != len(out) {
		panic("spandsp: Fax.Process needs in and out of the same length")
	}
	if len(in) == 0 {
		return
	}
	C.gfax_process(x.f, (*C.int16_t)(unsafe.Pointer(&in[0])), (*C.int16_t)(unsafe.Pointer(&out[0])), C.int(len(in)))
}

// Done reports whether the call reached phase E.
func (x *Fax) Done() bool { return x.f.done != 0 }

// Terminate ends the call as if the line dropped (t30_terminate): phase E
// runs now if it has not, with T30_ERR_CALLDROPPED unless the call was
// already closing.
func (x *Fax) Terminate() { C.gfax_terminate(x.f) }

// Result returns what phase E reported (Code -1 before then).
func (x *Fax) Result() FaxResult {
	f := x.f
	st := &f.stats
	r := FaxResult{
		Code:          int(f.completion),
		PagesTx:       int(st.pages_tx),
		PagesRx:       int(st.pages_rx),
		BitRate:       int(st.bit_rate),
		ECM:           st.error_correcting_mode != 0,
		RemoteIdent:   C.GoString(&f.remote_ident[0]),
		BadRows:       int(st.bad_rows),
		LongestBadRun: int(st.longest_bad_row_run),
		Width:         int(st.width),
		Length:        int(st.length),
		ECMRetries:    int(st.error_correcting_mode_retries),
		PhaseB:        int(f.phase_b),
		PhaseD:        int(f.phase_d),
		Samples:       int64(f.samples),
	}
	if f.done != 0 {
		r.Text = C.GoString(C.gfax_code_str(f.completion))
		r.Encoding = C.GoString(C.gfax_encoding_str(st.encoding))
	}
	r.Pages = r.PagesRx
	if r.PagesTx > r.PagesRx {
		r.Pages = r.PagesTx
	}
	return r
}

// Close frees the terminal, closing its TIFF files (the received file is
// complete once Done is true). There is no finalizer: call Close, and no other
// method after it.
func (x *Fax) Close() {
	if x.f != nil {
		C.gfax_free(x.f)
		x.f = nil
	}
}
