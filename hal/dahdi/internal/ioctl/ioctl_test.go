package ioctl

import (
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The numbers as the project notes give them (asm-generic encoding), each
// derived independently here from _IOC and user.h's argument types.
func TestRequestNumbers(t *testing.T) {
	if !Generic {
		t.Skip("the pinned numbers are for the asm-generic _IOC encoding")
	}
	cases := []struct {
		name      string
		got, want uint
		macro     uint
	}{
		{"SPECIFY _IOW(0xDA,38,int)", Specify, 0x4004DA26, IOW(Code, 38, SizeofInt)},
		{"SET_BLOCKSIZE _IOW(0xDA,1,int)", SetBlocksize, 0x4004DA01, IOW(Code, 1, SizeofInt)},
		{"GET_BLOCKSIZE _IOR(0xDA,1,int)", GetBlocksize, 0x8004DA01, IOR(Code, 1, SizeofInt)},
		{"FLUSH _IOW(0xDA,3,int)", Flush, 0x4004DA03, IOW(Code, 3, SizeofInt)},
		{"SETLINEAR _IOW(0xDA,40,int)", SetLinear, 0x4004DA28, IOW(Code, 40, SizeofInt)},
		{"SETLAW _IOW(0xDA,39,int)", SetLaw, 0x4004DA27, IOW(Code, 39, SizeofInt)},
		{"HOOK _IOW(0xDA,7,int)", Hook, 0x4004DA07, IOW(Code, 7, SizeofInt)},
		{"GETEVENT _IOR(0xDA,8,int)", GetEvent, 0x8004DA08, IOR(Code, 8, SizeofInt)},
		{"GET_PARAMS _IOWR(0xDA,5,dahdi_params)", GetParams, 0xC088DA05, IOWR(Code, 5, SizeofParams)},
		{"ECHOCANCEL _IOW(0xDA,33,int)", EchoCancel, 0x4004DA21, IOW(Code, 33, SizeofInt)},
		{"ECHOCANCEL_FAX_MODE _IOW(0xDA,102,int)", EchoCancelFax, 0x4004DA66, IOW(Code, 102, SizeofInt)},
		{"SPANSTAT _IOWR(0xDA,10,dahdi_spaninfo)", SpanStat, 0xC13ADA0A, IOWR(Code, 10, SizeofSpanInfo)},
		{"SET_BUFINFO _IOW(0xDA,27,dahdi_bufferinfo)", SetBufInfo, 0x4018DA1B, IOW(Code, 27, SizeofBufferInfo)},
		{"IOMUX _IOWR(0xDA,9,int)", IOMux, 0xC004DA09, IOWR(Code, 9, SizeofInt)},
		// Not in the notes: 0x40000000 | 260<<16 | 0xDA<<8 | 31 and | 4<<16 | 105.
		{"DIAL _IOW(0xDA,31,dahdi_dialoperation)", Dial, 0x4104DA1F, IOW(Code, 31, SizeofDialOp)},
		{"BUFFER_EVENTS _IOW(0xDA,105,int)", BufferEvents, 0x4004DA69, IOW(Code, 105, SizeofInt)},
	}
	for _, c := range cases {
		if c.got != c.want || c.macro != c.want {
			t.Errorf("%s: constant %#x, macro %#x, want %#x", c.name, c.got, c.macro, c.want)
		}
	}
	// Decoding takes them apart again.
	if Size(SpanStat) != 314 || Nr(SpanStat) != 10 || Type(SpanStat) != 0xDA || Dir(SpanStat) != DirRead|DirWrite {
		t.Errorf("SPANSTAT decodes to size %d nr %d type %#x dir %d", Size(SpanStat), Nr(SpanStat), Type(SpanStat), Dir(SpanStat))
	}
	if IO(Code, 4) != 0xDA04 { // DAHDI_SYNC _IO(0xDA,4)
		t.Errorf("_IO(0xDA,4) = %#x", IO(Code, 4))
	}
}

func TestIoctlRefusesShortArgument(t *testing.T) {
	// Checked before any system call, so any fd will do.
	if err := Ioctl(^uintptr(0), GetParams, make([]byte, 100)); err == nil {
		t.Fatal("GET_PARAMS with a 100-byte argument was issued")
	}
}

func TestIoctlOnNonDevice(t *testing.T) {
	// A real system call: a pipe is no DAHDI device, the kernel says ENOTTY.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	err = Ioctl(r.Fd(), Specify, make([]byte, 4))
	if !errors.Is(err, unix.ENOTTY) {
		t.Fatalf("SPECIFY on a pipe: %v, want ENOTTY", err)
	}
}

func TestFileOnSocketpair(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	var calls []uint
	f, err := NewFile(fds[0], "fake", func(fd uintptr, req uint, arg []byte) error {
		calls = append(calls, req)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	peer := os.NewFile(uintptr(fds[1]), "peer")
	defer peer.Close()

	if in, pri, err := f.Wait(10*time.Millisecond, true); err != nil || in || pri {
		t.Fatalf("idle wait: in %v pri %v err %v", in, pri, err)
	}
	if _, err := peer.Write([]byte{1, 2, 3, 4}); err != nil {
		t.Fatal(err)
	}
	if in, _, err := f.Wait(time.Second, true); err != nil || !in {
		t.Fatalf("wait with data: in %v err %v", in, err)
	}
	buf := make([]byte, 8)
	if n, err := f.Read(buf); err != nil || n != 4 {
		t.Fatalf("read %d %v", n, err)
	}
	if err := f.Ioctl(Specify, make([]byte, 4)); err != nil || len(calls) != 1 || calls[0] != Specify {
		t.Fatalf("shimmed ioctl: %v %x", err, calls)
	}
	if !IsELAST(&os.PathError{Op: "read", Err: ELAST}) || IsELAST(unix.EAGAIN) {
		t.Error("IsELAST")
	}
}
