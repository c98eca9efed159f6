//go:build spandsp

package spandsp

/*
#cgo pkg-config: spandsp
#cgo LDFLAGS: -lm
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <spandsp.h>

// t38pkt_t is one IFP packet handed to the tx packet handler: the bytes as
// SpanDSP encoded them (no UDPTL), the sequence number t38_core gave it and
// its repeat count. The bytes follow the struct in the same allocation.
typedef struct t38pkt_s {
    struct t38pkt_s *next;
    int seq;      // 0..65535: one per handler call, as t38_core's tx_seq_no
    int count;    // copies SpanDSP asked for (redundancy); 0 = suppressed
    int len;
    uint8_t *data;
} t38pkt_t;

// t38q_t is the C-side queue the tx packet handler fills, and running totals.
typedef struct {
    t38pkt_t *head, *tail;
    int queued;
    int next_seq;
    long long packets;        // handler calls (distinct IFPs)
    long long transmissions;  // sum of count
    long long bytes;          // sum of len
    long long wire_bytes;     // sum of len*count
    int max_len;
    int oom;                  // a packet was dropped for lack of memory
} t38q_t;

static int t38q_handler(t38_core_state_t *s, void *user_data, const uint8_t *buf, int len, int count) {
    t38q_t *q = (t38q_t *) user_data;
    int seq = q->next_seq;
    q->next_seq = (q->next_seq + 1) & 0xFFFF;
    if (len < 0)
        len = 0;
    t38pkt_t *p = malloc(sizeof(*p) + (len > 0 ? len : 1));
    if (p == NULL) {
        q->oom = 1;
        return -1;
    }
    p->next = NULL;
    p->seq = seq;
    p->count = count;
    p->len = len;
    p->data = (uint8_t *) (p + 1);
    if (len > 0)
        memcpy(p->data, buf, len);
    if (q->tail != NULL)
        q->tail->next = p;
    else
        q->head = p;
    q->tail = p;
    q->queued++;
    q->packets++;
    q->transmissions += count;
    q->bytes += len;
    q->wire_bytes += (long long) len * count;
    if (len > q->max_len)
        q->max_len = len;
    return 0;
}

// t38q_clear frees the queued packets (after Go copied them).
static void t38q_clear(t38q_t *q) {
    t38pkt_t *p = q->head;
    while (p != NULL) {
        t38pkt_t *n = p->next;
        free(p);
        p = n;
    }
    q->head = q->tail = NULL;
    q->queued = 0;
}

static void t38_log_setup(logging_state_t *l, const char *tag) {
    span_log_set_level(l, SPAN_LOG_SHOW_TAG | SPAN_LOG_SHOW_SAMPLE_TIME | SPAN_LOG_FLOW);
    span_log_set_tag(l, tag);
}

// gt38t_t is one SpanDSP T.38 terminal (t38_terminal_state_t), its packet
// queue and what its T.30 engine reported. All in C memory: the handlers get
// pointers into it, never to Go memory.
typedef struct {
    t38_terminal_state_t *t38;
    t30_state_t *t30;
    t38_core_state_t *core;
    t38q_t q;
    int done;            // phase E reached
    int over;            // t38_terminal_send_timeout returned TRUE
    int completion;      // phase E completion code (T30_ERR_*)
    t30_stats_t stats;   // t30_get_transfer_statistics at phase E
    char remote_ident[T30_MAX_IDENT_LEN + 1];
    int phase_b, phase_d, last_phase_d;
    long long samples;   // samples advanced
    int log;
    char tag[32];
} gt38t_t;

static int gt38t_phase_b(t30_state_t *s, void *u, int result) {
    ((gt38t_t *) u)->phase_b++;
    return T30_ERR_OK;
}

static int gt38t_phase_d(t30_state_t *s, void *u, int result) {
    gt38t_t *t = (gt38t_t *) u;
    t->phase_d++;
    t->last_phase_d = result;
    return T30_ERR_OK;
}

static void gt38t_phase_e(t30_state_t *s, void *u, int completion_code) {
    gt38t_t *t = (gt38t_t *) u;
    const char *id;
    t->completion = completion_code;
    t30_get_transfer_statistics(s, &t->stats);
    id = t30_get_rx_ident(s);
    if (id != NULL) {
        strncpy(t->remote_ident, id, T30_MAX_IDENT_LEN);
        t->remote_ident[T30_MAX_IDENT_LEN] = '\0';
    }
    t->done = 1;
}

static gt38t_t *gt38t_new(int caller, const char *tx_file, const char *rx_file, int ecm, int modems,
                          int compressions, const char *ident, int version, int config,
                          int log, const char *tag, int *err) {
    gt38t_t *t = calloc(1, sizeof(*t));
    *err = 0;
    if (t == NULL) {
        *err = -1;
        return NULL;
    }
    t->completion = -1;
    t->t38 = t38_terminal_init(NULL, caller, t38q_handler, &t->q);
    if (t->t38 == NULL) {
        free(t);
        *err = -2;
        return NULL;
    }
    t->t30 = t38_terminal_get_t30_state(t->t38);
    t->core = t38_terminal_get_t38_core_state(t->t38);
    t38_set_t38_version(t->core, version);
    t38_terminal_set_config(t->t38, config);
    t38_terminal_set_tep_mode(t->t38, 0);
    t38_terminal_set_fill_bit_removal(t->t38, 0);
    if (ident != NULL && t30_set_tx_ident(t->t30, ident) < 0)
        *err = -3;
    if (modems != 0)
        t30_set_supported_modems(t->t30, modems);
    t30_set_ecm_capability(t->t30, ecm);
    if (compressions != 0)
        t30_set_supported_compressions(t->t30, compressions);
    if (tx_file != NULL)
        t30_set_tx_file(t->t30, tx_file, -1, -1);
    if (rx_file != NULL)
        t30_set_rx_file(t->t30, rx_file, -1);
    t30_set_phase_b_handler(t->t30, gt38t_phase_b, t);
    t30_set_phase_d_handler(t->t30, gt38t_phase_d, t);
    t30_set_phase_e_handler(t->t30, gt38t_phase_e, t);
    if (log) {
        t->log = 1;
        strncpy(t->tag, tag, sizeof(t->tag) - 1);
        t38_log_setup(t30_get_logging_state(t->t30), t->tag);
        t38_log_setup(t38_terminal_get_logging_state(t->t38), t->tag);
        t38_log_setup(t38_core_get_logging_state(t->core), t->tag);
    }
    return t;
}

static int gt38t_advance(gt38t_t *t, int samples) {
    if (t->log) {
        span_log_bump_samples(t30_get_logging_state(t->t30), samples);
        span_log_bump_samples(t38_terminal_get_logging_state(t->t38), samples);
        span_log_bump_samples(t38_core_get_logging_state(t->core), samples);
    }
    t->samples += samples;
    if (t38_terminal_send_timeout(t->t38, samples))
        t->over = 1;
    return t->over;
}

static int gt38t_rx(gt38t_t *t, const uint8_t *buf, int len, int seq) {
    return t38_core_rx_ifp_packet(t->core, buf, len, (uint16_t) seq);
}

static void gt38t_live_stats(gt38t_t *t, t30_stats_t *st) {
    t30_get_transfer_statistics(t->t30, st);
}

static void gt38t_terminate(gt38t_t *t) {
    t30_terminate(t->t30);
}

static void gt38t_free(gt38t_t *t) {
    // t38_terminal_free releases the T.30 engine (closing the TIFF files;
    // phase E may run now if the call did not finish) and frees the state.
    t38_terminal_free(t->t38);
    t38q_clear(&t->q);
    free(t);
}

// gt38g_t is one SpanDSP T.38 gateway (t38_gateway_state_t) and its packet
// queue, in C memory.
typedef struct {
    t38_gateway_state_t *gw;
    t38_core_state_t *core;
    t38q_t q;
    long long samples;
    int log;
    char tag[32];
} gt38g_t;

static gt38g_t *gt38g_new(int ecm, int modems, int version, int log, const char *tag) {
    gt38g_t *g = calloc(1, sizeof(*g));
    if (g == NULL)
        return NULL;
    g->gw = t38_gateway_init(NULL, t38q_handler, &g->q);
    if (g->gw == NULL) {
        free(g);
        return NULL;
    }
    g->core = t38_gateway_get_t38_core_state(g->gw);
    t38_set_t38_version(g->core, version);
    t38_gateway_set_transmit_on_idle(g->gw, 1);
    t38_gateway_set_ecm_capability(g->gw, ecm);
    if (modems != 0)
        t38_gateway_set_supported_modems(g->gw, modems);
    t38_gateway_set_tep_mode(g->gw, 0);
    t38_gateway_set_fill_bit_removal(g->gw, 0);
    if (log) {
        g->log = 1;
        strncpy(g->tag, tag, sizeof(g->tag) - 1);
        t38_log_setup(t38_gateway_get_logging_state(g->gw), g->tag);
        t38_log_setup(t38_core_get_logging_state(g->core), g->tag);
    }
    return g;
}

// gt38g_process runs 160-sample blocks (the last may be shorter):
// t38_gateway_rx on a copy of in (it DC-filters its buffer in place), then
// t38_gateway_tx into out, padded with silence.
static void gt38g_process(gt38g_t *g, const int16_t *in, int16_t *out, int n) {
    int16_t buf[160];
    for (int i = 0; i < n; i += 160) {
        int len = n - i < 160 ? n - i : 160;
        memcpy(buf, in + i, len * sizeof(int16_t));
        t38_gateway_rx(g->gw, buf, len);
        int m = t38_gateway_tx(g->gw, out + i, len);
        if (m < 0)
            m = 0;
        if (m < len)
            memset(out + i + m, 0, (len - m) * sizeof(int16_t));
        g->samples += len;
        if (g->log) {
            span_log_bump_samples(t38_gateway_get_logging_state(g->gw), len);
            span_log_bump_samples(t38_core_get_logging_state(g->core), len);
        }
    }
}

static int gt38g_rx(gt38g_t *g, const uint8_t *buf, int len, int seq) {
    return t38_core_rx_ifp_packet(g->core, buf, len, (uint16_t) seq);
}

static void gt38g_stats(gt38g_t *g, t38_stats_t *st) {
    t38_gateway_get_transfer_statistics(g->gw, st);
}

static void gt38g_free(gt38g_t *g) {
    t38_gateway_free(g->gw);
    t38q_clear(&g->q);
    free(g);
}

static const char *gt38_code_str(int code) {
    return t30_completion_code_to_str(code);
}

static const char *gt38_encoding_str(int encoding) {
    return t4_encoding_to_str(encoding);
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// T38Config is a set of SpanDSP's T38_TERMINAL_OPTION_* bits
// (t38_terminal_set_config). 0 is SpanDSP's default: paced transmission in
// 30 ms chunks for UDP, indicators and end-of-data packets sent 3 times.
type T38Config int

// The terminal options.
const (
	// T38NoPacing streams with no allowance for fax machine speeds (TCP/TPKT
	// style); it also sets every redundancy count to 1 and indicators to 0.
	T38NoPacing T38Config = C.T38_TERMINAL_OPTION_NO_PACING
	// T38RegularIndicators repeats the indicator while no signal is sent.
	T38RegularIndicators T38Config = C.T38_TERMINAL_OPTION_REGULAR_INDICATORS
	// T38TwoSecondIndicators repeats it for the first 2 s only.
	T38TwoSecondIndicators T38Config = C.T38_TERMINAL_OPTION_2S_REPEATING_INDICATORS
	// T38NoIndicators suppresses indicators (Debian's 0.0.6 only).
	T38NoIndicators T38Config = C.T38_TERMINAL_OPTION_NO_INDICATORS
)

// T38Options configure a T38Terminal. TEP is off and fill-bit removal is
// off (t38_terminal_set_fill_bit_removal(s, FALSE)).
type T38Options struct {
	TxFile string // TIFF to send; "" sends nothing
	RxFile string // TIFF to write what is received; "" receives nothing
	ECM    bool   // offer/use error correction mode
	// Modems to offer; 0 keeps SpanDSP's T.38 default (V.27ter, V.29, V.17
	// and IAF). Any other value drops IAF.
	Modems FaxModems
	// Compressions to offer; 0 keeps SpanDSP's default (T.4 1-D and 2-D),
	// plus T.6 when ECM is on.
	Compressions FaxCompressions
	Ident        string    // local ident (TSI/CSI), at most 20 characters
	Version      int       // T.38 version the IFP packets are encoded for, 0..3
	Config       T38Config // 0: paced (UDP) with SpanDSP's redundancy
	Log          bool      // SpanDSP's T.30, T.38 terminal and T.38 core flow log to stderr
	LogTag       string    // tag on log lines (31 bytes kept); "" gives "t38-caller"/"t38-answerer"
}

// T38Packet is one IFP packet as SpanDSP's t38_core encoded it (no UDPTL
// header) with the sequence number it belongs to and SpanDSP's repeat count.
type T38Packet struct {
	// Seq counts the tx packet handler's calls from 0, modulo 65536: what
	// t38_core's tx_seq_no was for this packet. Every copy carries it.
	Seq int
	// Count is how many times SpanDSP asks for it to be sent (its
	// redundancy: 3 for indicators and end-of-data in paced mode, else 1).
	// 0 means SpanDSP suppressed it (the seq number is still used).
	Count int
	IFP   []byte
}

// T38TxStats totals what an endpoint handed to its tx packet handler.
type T38TxStats struct {
	Packets       int64 // distinct IFP packets (handler calls)
	Transmissions int64 // copies asked for: the sum of Count
	Bytes         int64 // IFP bytes, each packet once
	WireBytes     int64 // IFP bytes times Count (no UDPTL overhead)
	MaxIFP        int   // largest IFP packet
	Queued        int   // packets waiting to be drained
}

func t38Drain(q *C.t38q_t) []T38Packet {
	if q.queued == 0 {
		return nil
	}
	out := make([]T38Packet, 0, int(q.queued))
	for p := q.head; p != nil; p = p.next {
		out = append(out, T38Packet{
			Seq:   int(p.seq),
			Count: int(p.count),
			IFP:   C.GoBytes(unsafe.Pointer(p.data), p.len),
		})
	}
	C.t38q_clear(q)
	return out
}

func t38Bytes(pkts []T38Packet) [][]byte {
	if pkts == nil {
		return nil
	}
	out := make([][]byte, len(pkts))
	for i, p := range pkts {
		out[i] = p.IFP
	}
	return out
}

func t38Stats(q *C.t38q_t) T38TxStats {
	return T38TxStats{
		Packets:       int64(q.packets),
		Transmissions: int64(q.transmissions),
		Bytes:         int64(q.bytes),
		WireBytes:     int64(q.wire_bytes),
		MaxIFP:        int(q.max_len),
		Queued:        int(q.queued),
	}
}

func t38Receive(rc C.int, ifp []byte, seq int) error {
	if rc < 0 {
		return fmt.Errorf("spandsp: t38_core_rx_ifp_packet refused %d-byte IFP seq %d (%d)", len(ifp), seq, int(rc))
	}
	return nil
}

func ifpPtr(ifp []byte) *C.uint8_t {
	if len(ifp) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&ifp[0]))
}

func checkT38Version(v int) {
	if v < 0 || v > 3 {
		panic(fmt.Sprintf("spandsp: T.38 version %d (0..3)", v))
	}
}

// T38Terminal is SpanDSP's T.38 terminal: T.30 over IFP packets, reading and
// writing TIFF files through libtiff. The packets it sends are caught by a C
// tx handler into a C-side queue; drain it with Packets or TxPackets and hand
// the far end's packets to Receive. Time moves only with Advance. Nothing in
// C points to Go memory.
type T38Terminal struct {
	t *C.gt38t_t
}

// NewT38Terminal returns a terminal; caller is the calling party. It panics
// on options SpanDSP cannot take (a path of 256 bytes or more, an ident
// longer than 20, a T.38 version outside 0..3).
func NewT38Terminal(caller bool, opts T38Options) *T38Terminal {
	if len(opts.TxFile) >= 256 || len(opts.RxFile) >= 256 {
		panic("spandsp: TIFF path too long for SpanDSP (255 bytes at most)")
	}
	checkT38Version(opts.Version)
	tag := opts.LogTag
	if tag == "" {
		tag = "t38-answerer"
		if caller {
			tag = "t38-caller"
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
	t := C.gt38t_new(cbool(caller), tx, rx, cbool(opts.ECM), C.int(opts.Modems), C.int(comp), id,
		C.int(opts.Version), C.int(opts.Config), cbool(opts.Log), ctag, &err)
	if t == nil {
		panic(fmt.Sprintf("spandsp: t38_terminal_init failed (%d)", int(err)))
	}
	if err != 0 {
		C.gt38t_free(t)
		panic(fmt.Sprintf("spandsp: ident %q refused (at most 20 characters)", opts.Ident))
	}
	return &T38Terminal{t: t}
}

// Packets drains the queue of IFP packets the terminal sent, each once (see
// TxPackets for sequence numbers and repeat counts), in order.
func (x *T38Terminal) Packets() [][]byte { return t38Bytes(t38Drain(&x.t.q)) }

// TxPackets drains the queue like Packets, with each packet's sequence
// number and SpanDSP's repeat count.
func (x *T38Terminal) TxPackets() []T38Packet { return t38Drain(&x.t.q) }

// TxStats returns the totals of everything the terminal has sent.
func (x *T38Terminal) TxStats() T38TxStats { return t38Stats(&x.t.q) }

// Receive hands the terminal one IFP packet from the far end
// (t38_core_rx_ifp_packet). A packet with the sequence number before the
// expected one is dropped as a repeat. The error reports an IFP SpanDSP could
// not decode.
func (x *T38Terminal) Receive(ifp []byte, seq int) error {
	return t38Receive(C.gt38t_rx(x.t, ifpPtr(ifp), C.int(len(ifp)), C.int(seq)), ifp, seq)
}

// Advance moves the terminal's clock on by samples (8000 a second) with
// t38_terminal_send_timeout, which runs T.30's timers and sends what is due.
func (x *T38Terminal) Advance(samples int) { C.gt38t_advance(x.t, C.int(samples)) }

// Done reports whether the call reached phase E.
func (x *T38Terminal) Done() bool { return x.t.done != 0 }

// Terminate ends the call as if the line dropped (t30_terminate).
func (x *T38Terminal) Terminate() { C.gt38t_terminate(x.t) }

// Result returns what phase E reported (Code -1 before then; the page
// counts, rate and ECM are then the live statistics).
func (x *T38Terminal) Result() FaxResult {
	t := x.t
	st := &t.stats
	var live C.t30_stats_t
	if t.done == 0 {
		C.gt38t_live_stats(t, &live)
		st = &live
	}
	r := FaxResult{
		Code:          int(t.completion),
		PagesTx:       int(st.pages_tx),
		PagesRx:       int(st.pages_rx),
		BitRate:       int(st.bit_rate),
		ECM:           st.error_correcting_mode != 0,
		RemoteIdent:   C.GoString(&t.remote_ident[0]),
		BadRows:       int(st.bad_rows),
		LongestBadRun: int(st.longest_bad_row_run),
		Width:         int(st.width),
		Length:        int(st.length),
		ECMRetries:    int(st.error_correcting_mode_retries),
		PhaseB:        int(t.phase_b),
		PhaseD:        int(t.phase_d),
		Samples:       int64(t.samples),
	}
	if t.done != 0 {
		r.Text = C.GoString(C.gt38_code_str(t.completion))
		r.Encoding = C.GoString(C.gt38_encoding_str(st.encoding))
	}
	r.Pages = max(r.PagesTx, r.PagesRx)
	return r
}

// Close frees the terminal and any packets not drained, closing its TIFF
// files. There is no finalizer: call Close, and no other method after it.
func (x *T38Terminal) Close() {
	if x.t != nil {
		C.gt38t_free(x.t)
		x.t = nil
	}
}

// T38GatewayOptions configure a T38Gateway. It transmits silence when idle,
// TEP and fill-bit removal are off.
type T38GatewayOptions struct {
	ECM bool // let ECM through (SpanDSP's default is on; here it must be asked for)
	// Modems the gateway lets the fax machine use; 0 keeps SpanDSP's
	// default (V.27ter, V.29, V.17).
	Modems  FaxModems
	Version int    // T.38 version, 0..3
	Log     bool   // gateway and T.38 core flow log to stderr
	LogTag  string // "" gives "t38-gateway"
}

// T38GatewayStats is t38_gateway_get_transfer_statistics.
type T38GatewayStats struct {
	BitRate int  // current image bit rate
	ECM     bool // whether ECM is in use
	Pages   int  // pages transferred so far
}

// T38Gateway is SpanDSP's T.38 gateway: fax audio on one side (Process),
// IFP packets on the other (Packets/TxPackets out, Receive in). Audio drives
// its time.
type T38Gateway struct {
	g *C.gt38g_t
}

// NewT38Gateway returns a gateway.
func NewT38Gateway(opts T38GatewayOptions) *T38Gateway {
	checkT38Version(opts.Version)
	tag := opts.LogTag
	if tag == "" {
		tag = "t38-gateway"
	}
	ctag := C.CString(tag)
	defer C.free(unsafe.Pointer(ctag))
	g := C.gt38g_new(cbool(opts.ECM), C.int(opts.Modems), C.int(opts.Version), cbool(opts.Log), ctag)
	if g == nil {
		panic("spandsp: t38_gateway_init failed")
	}
	return &T38Gateway{g: g}
}

// Process feeds in (audio from the fax machine; not modified) and fills out
// (audio to it), both the same length, in 160-sample blocks: t38_gateway_rx
// then t38_gateway_tx per block. One cgo call per Process.
func (x *T38Gateway) Process(in, out []int16) {
	if len(in) != len(out) {
		panic("spandsp: T38Gateway.Process needs in and out of the same length")
	}
	if len(in) == 0 {
		return
	}
	C.gt38g_process(x.g, (*C.int16_t)(unsafe.Pointer(&in[0])), (*C.int16_t)(unsafe.Pointer(&out[0])), C.int(len(in)))
}

// Packets drains the IFP packets the gateway sent, each once, in order.
func (x *T38Gateway) Packets() [][]byte { return t38Bytes(t38Drain(&x.g.q)) }

// TxPackets drains them with sequence numbers and repeat counts.
func (x *T38Gateway) TxPackets() []T38Packet { return t38Drain(&x.g.q) }

// TxStats returns the totals of everything the gateway has sent.
func (x *T38Gateway) TxStats() T38TxStats { return t38Stats(&x.g.q) }

// Receive hands the gateway one IFP packet from the T.38 side.
func (x *T38Gateway) Receive(ifp []byte, seq int) error {
	return t38Receive(C.gt38g_rx(x.g, ifpPtr(ifp), C.int(len(ifp)), C.int(seq)), ifp, seq)
}

// Stats returns the gateway's transfer statistics.
func (x *T38Gateway) Stats() T38GatewayStats {
	var st C.t38_stats_t
	C.gt38g_stats(x.g, &st)
	return T38GatewayStats{BitRate: int(st.bit_rate), ECM: st.error_correcting_mode != 0, Pages: int(st.pages_transferred)}
}

// Samples returns how many audio samples the gateway has processed.
func (x *T38Gateway) Samples() int64 { return int64(x.g.samples) }

// Close frees the gateway and any packets not drained.
func (x *T38Gateway) Close() {
	if x.g != nil {
		C.gt38g_free(x.g)
		x.g = nil
	}
}
