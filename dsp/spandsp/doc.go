// Package spandsp binds Debian's SpanDSP 0.0.6 (libspandsp-dev), the
// reference fax implementation, so that faxd's tests and benchmarks can run
// our modems against it in both directions and time it beside ours.
//
// Everything but this comment is built only with the spandsp build tag, and
// needs cgo, libspandsp-dev and libtiff-dev. No shipped binary links it:
// faxd's commands build with CGO_ENABLED=0. Per-bit work (the get_bit and
// put_bit callbacks) stays in C, so one call crosses into C per block of
// audio and benchmarks measure SpanDSP rather than cgo.
package spandsp
