// Package bench holds the library code of the faxbench harness. Nothing but
// cmd/faxbench imports it.
package bench
