//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package main

import (
	"context"
	"io"
	"os"
)

// isTerminal reports false: terminals are not told apart on this system.
func isTerminal(any) bool { return false }

// readPassword cannot turn echo off here.
func readPassword(context.Context, *os.File, io.Writer, string) (string, error) {
	return "", errNoTerminal
}
