// Package ioctl is the only place in hal/dahdi that touches unsafe and raw
// system calls: the Linux _IOC request encoding, DAHDI's request numbers
// derived from it, and a File that reads, writes, polls and issues ioctls on
// an open DAHDI device (or, in tests, on any file descriptor).
//
// Request numbers are re-derived from the _IOC scheme of
// include/uapi/asm-generic/ioctl.h and the argument sizes of DAHDI's
// include/dahdi/user.h; ioctl_test.go pins every value.
package ioctl

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The _IOC layout: | dir | size | type | nr | from the top bit down. The
// widths of dir and size and the dir codes depend on the architecture
// (ioc_generic.go, ioc_other.go).
const (
	nrBits   = 8
	typeBits = 8

	nrShift   = 0
	typeShift = nrShift + nrBits
	sizeShift = typeShift + typeBits
	dirShift  = sizeShift + sizeBits
)

// IOC encodes a request the way the kernel's _IOC macro does.
func IOC(dir, typ, nr, size uint) uint {
	return dir<<dirShift | size<<sizeShift | typ<<typeShift | nr<<nrShift
}

// IO, IOR, IOW and IOWR are the _IO, _IOR, _IOW and _IOWR macros with the
// argument's size given in bytes.
func IO(typ, nr uint) uint { return IOC(DirNone, typ, nr, 0) }

// IOR is _IOR: the kernel writes the argument.
func IOR(typ, nr, size uint) uint { return IOC(DirRead, typ, nr, size) }

// IOW is _IOW: the kernel reads the argument.
func IOW(typ, nr, size uint) uint { return IOC(DirWrite, typ, nr, size) }

// IOWR is _IOWR: the kernel reads and writes the argument.
func IOWR(typ, nr, size uint) uint { return IOC(DirRead|DirWrite, typ, nr, size) }

// Size is the argument size a request encodes.
func Size(req uint) uint { return req >> sizeShift & (1<<sizeBits - 1) }

// Dir is the direction bits of a request.
func Dir(req uint) uint { return req >> dirShift }

// Nr is the command number of a request.
func Nr(req uint) uint { return req >> nrShift & (1<<nrBits - 1) }

// Type is the type (magic) byte of a request.
func Type(req uint) uint { return req >> typeShift & (1<<typeBits - 1) }

func describe(req uint) string {
	return fmt.Sprintf("ioctl %#x (nr %d, %d bytes)", req, Nr(req), Size(req))
}

func errnoOf(err error) syscall.Errno {
	var e syscall.Errno
	errors.As(err, &e)
	return e
}

// Argument sizes (bytes) of DAHDI's ioctl arguments on Linux, where int is
// 32 bits everywhere.
const (
	SizeofInt        = 4
	SizeofParams     = 136 // struct dahdi_params: 12 ints, char name[40], 11 ints, __u32 chan_alarms
	SizeofSpanInfo   = 314 // struct dahdi_spaninfo, packed
	SizeofBufferInfo = 24  // struct dahdi_bufferinfo: 6 ints
	SizeofDialOp     = 260 // struct dahdi_dialoperation: int op, char dialstr[DAHDI_MAX_DTMF_BUF=256]
)

// Code is DAHDI's ioctl type byte (DAHDI_CODE).
const Code = 0xDA

// DAHDI requests (user.h names without the DAHDI_ prefix).
const (
	GetBlocksize  = DirRead<<dirShift | SizeofInt<<sizeShift | Code<<typeShift | 1
	SetBlocksize  = DirWrite<<dirShift | SizeofInt<<sizeShift | Code<<typeShift | 1
	Flush         = DirWrite<<dirShift | SizeofInt<<sizeShift | Code<<typeShift | 3
	GetParams     = (DirRead|DirWrite)<<dirShift | SizeofParams<<sizeShift | Code<<typeShift | 5
	Hook          = DirWrite<<dirShift | SizeofInt<<sizeShift | Code<<typeShift | 7
	GetEvent      = DirRead<<dirShift | SizeofInt<<sizeShift | Code<<typeShift | 8
	IOMux         = (DirRead|DirWrite)<<dirShift | SizeofInt<<sizeShift | Code<<typeShift | 9
	SpanStat      = (DirRead|DirWrite)<<dirShift | SizeofSpanInfo<<sizeShift | Code<<typeShift | 10
	SetBufInfo    = DirWrite<<dirShift | SizeofBufferInfo<<sizeShift | Code<<typeShift | 27
	Dial          = DirWrite<<dirShift | SizeofDialOp<<sizeShift | Code<<typeShift | 31
	EchoCancel    = DirWrite<<dirShift | SizeofInt<<sizeShift | Code<<typeShift | 33
	Specify       = DirWrite<<dirShift | SizeofInt<<sizeShift | Code<<typeShift | 38
	SetLaw        = DirWrite<<dirShift | SizeofInt<<sizeShift | Code<<typeShift | 39
	SetLinear     = DirWrite<<dirShift | SizeofInt<<sizeShift | Code<<typeShift | 40
	EchoCancelFax = DirWrite<<dirShift | SizeofInt<<sizeShift | Code<<typeShift | 102
	BufferEvents  = DirWrite<<dirShift | SizeofInt<<sizeShift | Code<<typeShift | 105
)

// ELAST is the errno (500) with which DAHDI's read and write refuse to
// move audio while a signalling event waits to be fetched with GetEvent.
const ELAST = syscall.Errno(500)

// Ioctl issues req on fd with arg as the argument's memory: DAHDI passes
// every argument, ints included, by pointer. arg must hold at least the
// size the request encodes, so the kernel never reads or writes past it.
func Ioctl(fd uintptr, req uint, arg []byte) error {
	if n := Size(req); uint(len(arg)) < n {
		return fmt.Errorf("%s: argument of %d bytes", describe(req), len(arg))
	}
	var p unsafe.Pointer
	if len(arg) > 0 {
		p = unsafe.Pointer(&arg[0])
	}
	for {
		_, _, e := unix.Syscall(unix.SYS_IOCTL, fd, uintptr(req), uintptr(p))
		if e == unix.EINTR {
			continue
		}
		if e != 0 {
			return e
		}
		return nil
	}
}

// IoctlFunc is the shape of Ioctl, so a File can be given a shim.
type IoctlFunc func(fd uintptr, req uint, arg []byte) error

// File is an open device: reads and writes go through Go's poller (DAHDI
// channels support poll), Wait polls for POLLIN or POLLPRI, and ioctls go
// through the File's IoctlFunc (Ioctl unless replaced).
type File struct {
	f     *os.File
	rc    syscall.RawConn
	ioctl IoctlFunc
}

// Open opens path read-write.
func Open(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	return newFile(f, Ioctl)
}

// NewFile takes ownership of fd (a socketpair end in tests) and issues its
// ioctls through fn (Ioctl when nil).
func NewFile(fd int, name string, fn IoctlFunc) (*File, error) {
	if err := unix.SetNonblock(fd, true); err != nil {
		return nil, err
	}
	if fn == nil {
		fn = Ioctl
	}
	return newFile(os.NewFile(uintptr(fd), name), fn)
}

func newFile(f *os.File, fn IoctlFunc) (*File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &File{f: f, rc: rc, ioctl: fn}, nil
}

// Read reads one block. An error carrying ELAST means an event waits.
func (f *File) Read(p []byte) (int, error) { return f.f.Read(p) }

// Write writes one block.
func (f *File) Write(p []byte) (int, error) { return f.f.Write(p) }

// Close closes the file; a blocked Read or Write returns.
func (f *File) Close() error { return f.f.Close() }

// SetDeadline sets the read and write deadline.
func (f *File) SetDeadline(t time.Time) error { return f.f.SetDeadline(t) }

// Ioctl issues req with arg on the file.
func (f *File) Ioctl(req uint, arg []byte) error {
	var err error
	cerr := f.rc.Control(func(fd uintptr) { err = f.ioctl(fd, req, arg) })
	if cerr != nil {
		return cerr
	}
	return err
}

// Wait blocks up to timeout (forever when negative) until the file has an
// exceptional condition, DAHDI's pending event (pri), or, when withData is
// set, data to read (in). It holds an OS thread while it waits.
func (f *File) Wait(timeout time.Duration, withData bool) (in, pri bool, err error) {
	events := int16(unix.POLLPRI)
	if withData {
		events |= unix.POLLIN
	}
	ms := -1
	if timeout >= 0 {
		ms = int((timeout + time.Millisecond - 1) / time.Millisecond)
	}
	cerr := f.rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: events}}
		for {
			_, err = unix.Poll(fds, ms)
			if err != unix.EINTR {
				break
			}
		}
		in = fds[0].Revents&unix.POLLIN != 0
		pri = fds[0].Revents&unix.POLLPRI != 0
		if err == nil && fds[0].Revents&(unix.POLLERR|unix.POLLHUP|unix.POLLNVAL) != 0 && !in && !pri {
			err = fmt.Errorf("poll: revents %#x", fds[0].Revents)
		}
	})
	if cerr != nil {
		return false, false, cerr
	}
	return in, pri, err
}

// IsELAST reports whether err carries DAHDI's ELAST.
func IsELAST(err error) bool { return errnoOf(err) == ELAST }
