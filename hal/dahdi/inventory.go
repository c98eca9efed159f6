package dahdi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// SpanDesc is one DAHDI span as the kernel lists it: a directory of
// bus/dahdi_spans in sysfs (dahdi-sysfs.c: name, desc, spantype, alarms,
// basechan, channels, is_sync_master, the "ddev" link) or, where DAHDI has
// no sysfs spans, the file /proc/dahdi/N (dahdi-base.c, dahdi_seq_show).
type SpanDesc struct {
	Number     int           `json:"number"`
	Name       string        `json:"name"`
	Desc       string        `json:"desc"`
	Type       string        `json:"type,omitempty"` // spantype: "E1", "T1", "BRI", "FXS", "FXO", "ANALOG"...; "" from /proc
	Alarms     Alarms        `json:"alarms"`
	SyncMaster bool          `json:"sync_master"`
	BaseChan   int           `json:"base_channel"` // first channel number, 0 when the span has none
	Channels   []ChannelDesc `json:"channels"`
	// Device is the DAHDI device the span belongs to, named by its bus
	// and parent ("pci:0000:03:00.0"); Path is the span's directory in
	// /sys/devices with links resolved, which runs through its card.
	// Both are "" for spans read from /proc.
	Device string `json:"device,omitempty"`
	Path   string `json:"-"`
	Source string `json:"source"` // "sysfs" or "procfs"
}

// ChannelDesc is one DAHDI channel: a directory of bus/dahdi_channels in
// sysfs named dahdi!chan!SPAN!POS (dahdi-sysfs-chan.c: name, channo,
// chanpos, sig, alarms, in_use) or a line of /proc/dahdi/N.
type ChannelDesc struct {
	Number   int    `json:"number"`   // channo, what Open takes
	Position int    `json:"position"` // chanpos, from 1 within the span
	Name     string `json:"name"`     // "TE4/0/1/1", "WCTDM/0/0"
	Sig      string `json:"sig"`      // configured signalling as DAHDI names it ("FXSKS", "Clear"); "" unconfigured
	InUse    bool   `json:"in_use"`   // open by some process
	Alarms   Alarms `json:"alarms"`
}

// DefaultSysfs and DefaultProcfs are where sysfs and procfs are mounted.
const (
	DefaultSysfs  = "/sys"
	DefaultProcfs = "/proc"
)

func (c Config) sysfs() string {
	if c.SysfsRoot == "" {
		return DefaultSysfs
	}
	return c.SysfsRoot
}

func (c Config) procfs() string {
	if c.ProcfsRoot == "" {
		return DefaultProcfs
	}
	return c.ProcfsRoot
}

// ListSpans lists the spans DAHDI has registered and their channels, in
// span order, from sysfs under cfg.SysfsRoot or else /proc/dahdi under
// cfg.ProcfsRoot. When neither exists (DAHDI not loaded) the error wraps
// ErrNotSupported; a file that cannot be read gives an error naming it.
func ListSpans(cfg Config) ([]SpanDesc, error) {
	sys := filepath.Join(cfg.sysfs(), "bus", "dahdi_spans", "devices")
	ents, serr := os.ReadDir(sys)
	if serr == nil {
		return sysfsSpans(cfg, sys, ents)
	}
	proc := filepath.Join(cfg.procfs(), "dahdi")
	ents, perr := os.ReadDir(proc)
	if perr == nil {
		return procSpans(proc, ents)
	}
	if errors.Is(serr, os.ErrNotExist) && errors.Is(perr, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: DAHDI not loaded: no %s, no %s", ErrNotSupported, sys, proc)
	}
	if !errors.Is(serr, os.ErrNotExist) {
		return nil, fmt.Errorf("dahdi: list spans: %w", serr)
	}
	return nil, fmt.Errorf("dahdi: list spans: %w", perr)
}

func sysfsSpans(cfg Config, dir string, ents []os.DirEntry) ([]SpanDesc, error) {
	chans, haveChans, err := sysfsChannels(filepath.Join(cfg.sysfs(), "bus", "dahdi_channels", "devices"))
	if err != nil {
		return nil, err
	}
	spans := make([]SpanDesc, 0, len(ents))
	for _, e := range ents {
		n, ok := strings.CutPrefix(e.Name(), "span-")
		no, err := strconv.Atoi(n)
		if !ok || err != nil || no <= 0 {
			continue
		}
		s, err := readSysfsSpan(filepath.Join(dir, e.Name()), no)
		if err != nil {
			return nil, err
		}
		if haveChans {
			s.Channels = chans[no]
		} else if s.Channels, err = procChannels(cfg, no); err != nil {
			return nil, err
		}
		spans = append(spans, s)
	}
	slices.SortFunc(spans, func(a, b SpanDesc) int { return a.Number - b.Number })
	return spans, nil
}

// attrs reads sysfs attribute files of one directory. A missing file (an
// older DAHDI) reads as ""; the first other failure is kept in err.
type attrs struct {
	dir string
	err error
}

func (a *attrs) str(name string) string {
	b, err := os.ReadFile(filepath.Join(a.dir, name))
	if err != nil {
		// basechan of a span without channels fails with ENODEV.
		if !errors.Is(err, os.ErrNotExist) && !errors.Is(err, unix.ENODEV) && a.err == nil {
			a.err = fmt.Errorf("dahdi: %w", err)
		}
		return ""
	}
	return strings.TrimRight(string(b), "\n")
}

func (a *attrs) int(name string) int {
	s := a.str(name)
	if s == "" {
		return 0
	}
	v, err := strconv.ParseInt(s, 0, 32)
	if err != nil && a.err == nil {
		a.err = fmt.Errorf("dahdi: %s: %q is not a number", filepath.Join(a.dir, name), s)
	}
	return int(v)
}

func readSysfsSpan(dir string, no int) (SpanDesc, error) {
	a := attrs{dir: dir}
	s := SpanDesc{
		Number:     no,
		Name:       a.str("name"),
		Desc:       a.str("desc"),
		Type:       a.str("spantype"),
		Alarms:     Alarms(a.int("alarms")),
		SyncMaster: a.str("is_sync_master") == "1",
		BaseChan:   a.int("basechan"),
		Source:     "sysfs",
	}
	if t, err := os.Readlink(filepath.Join(dir, "ddev")); err == nil {
		s.Device = filepath.Base(t)
	}
	if p, err := filepath.EvalSymlinks(dir); err == nil {
		s.Path = p
	}
	return s, a.err
}

// sysfsChannels reads bus/dahdi_channels, grouping the channels by span
// (the SPAN of dahdi!chan!SPAN!POS). have is false when the bus is absent.
func sysfsChannels(dir string) (bySpan map[int][]ChannelDesc, have bool, err error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("dahdi: list channels: %w", err)
	}
	bySpan = map[int][]ChannelDesc{}
	for _, e := range ents {
		f := strings.Split(e.Name(), "!")
		if len(f) != 4 || f[0] != "dahdi" || f[1] != "chan" {
			continue
		}
		span, err1 := strconv.Atoi(f[2])
		pos, err2 := strconv.Atoi(f[3])
		if err1 != nil || err2 != nil {
			continue
		}
		a := attrs{dir: filepath.Join(dir, e.Name())}
		c := ChannelDesc{
			Number:   a.int("channo"),
			Position: pos,
			Name:     a.str("name"),
			Sig:      a.str("sig"),
			InUse:    a.str("in_use") == "1",
			Alarms:   parseAlarmWords(strings.Fields(a.str("alarms"))),
		}
		if a.err != nil {
			return nil, true, a.err
		}
		if c.Sig == "Unconfigured" {
			c.Sig = ""
		}
		bySpan[span] = append(bySpan[span], c)
	}
	for _, cs := range bySpan {
		slices.SortFunc(cs, func(a, b ChannelDesc) int { return a.Number - b.Number })
	}
	return bySpan, true, nil
}

// procChannels takes span no's channels from /proc/dahdi/no, for a DAHDI
// with sysfs spans but no channels bus; none when the file is absent.
func procChannels(cfg Config, no int) ([]ChannelDesc, error) {
	path := filepath.Join(cfg.procfs(), "dahdi", strconv.Itoa(no))
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dahdi: %w", err)
	}
	defer f.Close()
	s, err := parseProcSpan(f)
	if err != nil {
		return nil, fmt.Errorf("dahdi: %s: %w", path, err)
	}
	return s.Channels, nil
}

func procSpans(dir string, ents []os.DirEntry) ([]SpanDesc, error) {
	var spans []SpanDesc
	for _, e := range ents {
		if n, err := strconv.Atoi(e.Name()); err != nil || n <= 0 {
			continue
		}
		path := filepath.Join(dir, e.Name())
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("dahdi: %w", err)
		}
		s, err := parseProcSpan(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("dahdi: %s: %w", path, err)
		}
		spans = append(spans, s)
	}
	slices.SortFunc(spans, func(a, b SpanDesc) int { return a.Number - b.Number })
	return spans, nil
}

// ErrProcFormat: a /proc/dahdi file that does not read as dahdi_seq_show
// writes it.
var ErrProcFormat = errors.New("dahdi: unexpected /proc/dahdi format")

// alarmWords are fill_alarm_string's words (dahdi-base.c), used in
// /proc/dahdi and in the channels' sysfs "alarms" attribute.
var alarmWords = map[string]Alarms{
	"BLUE": AlarmBlue, "YELLOW": AlarmYellow, "RED": AlarmRed,
	"LOOP": AlarmLoopback, "RECOVERING": AlarmRecover, "NOTOPEN": AlarmNotOpen,
}

func parseAlarmWords(words []string) Alarms {
	var a Alarms
	for _, w := range words {
		a |= alarmWords[w]
	}
	return a
}

// parseProcSpan parses /proc/dahdi/N as dahdi_seq_show writes it:
//
//	Span 1: TE4/0/1 "T4XXP (PCI) Card 0 Span 1" (MASTER) HDB3/CCS/CRC4 RED ClockSource
//		IRQ misses: 2
//
//		   1 TE4/0/1/1 Clear (In use) RED (EC: VPMOCT064 - INACTIVE)
//
// The span line gives the name (possibly empty), the quoted description,
// "(MASTER)", the line configuration and the alarm words; counter lines
// follow, then a blank line and one line per channel: its number, name,
// signalling, "(In use)", "(no pcm)", alarm words and the echo canceller.
func parseProcSpan(r io.Reader) (SpanDesc, error) {
	s := SpanDesc{Source: "procfs"}
	sc := bufio.NewScanner(r)
	if !sc.Scan() {
		if err := sc.Err(); err != nil {
			return s, err
		}
		return s, fmt.Errorf("%w: empty", ErrProcFormat)
	}
	head := sc.Text()
	rest, ok := strings.CutPrefix(head, "Span ")
	num, rest, ok2 := strings.Cut(rest, ": ")
	q1, q2 := strings.IndexByte(rest, '"'), strings.LastIndexByte(rest, '"')
	var err error
	if s.Number, err = strconv.Atoi(num); !ok || !ok2 || err != nil || s.Number <= 0 || q1 < 0 || q2 == q1 {
		return s, fmt.Errorf("%w: span line %q", ErrProcFormat, head)
	}
	s.Name, s.Desc = strings.TrimSpace(rest[:q1]), rest[q1+1:q2]
	for _, w := range strings.Fields(rest[q2+1:]) {
		if w == "(MASTER)" {
			s.SyncMaster = true
		}
		s.Alarms |= alarmWords[w]
	}
	inChannels := false
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" {
			inChannels = true
			continue
		}
		if !inChannels {
			continue // counters
		}
		c, err := parseProcChannel(line)
		if err != nil {
			return s, err
		}
		c.Position = len(s.Channels) + 1
		s.Channels = append(s.Channels, c)
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	if len(s.Channels) > 0 {
		s.BaseChan = s.Channels[0].Number
	}
	return s, nil
}

// sigNames are the one-word signalling names of sigstr (dahdi-base.c)
// that may stand where a channel without a name has its name.
var sigNames = map[string]bool{
	"FXSLS": true, "FXSKS": true, "FXSGS": true, "FXOLS": true, "FXOKS": true, "FXOGS": true,
	"E&M": true, "E&M-E1": true, "Clear": true, "HDLCRAW": true, "HDLCFCS": true, "HDLCNET": true,
	"MTP2": true, "Slave": true, "CAS": true, "DACS": true, "DACS+RBS": true, "Reserved": true,
	"SF_ToneOnly": true,
}

func parseProcChannel(line string) (ChannelDesc, error) {
	var c ChannelDesc
	// Cut the parenthesised remarks: "(In use)", "(no pcm)", "(EC: ...)";
	// "SF (ToneOnly)" is the one signalling name with a parenthesis.
	line = strings.ReplaceAll(line, "SF (ToneOnly)", "SF_ToneOnly")
	var words []string
	for _, part := range strings.SplitAfter(line, ")") {
		text, remark, _ := strings.Cut(part, "(")
		words = append(words, strings.Fields(text)...)
		if remark == "In use)" {
			c.InUse = true
		}
	}
	if len(words) == 0 {
		return c, fmt.Errorf("%w: channel line %q", ErrProcFormat, line)
	}
	n, err := strconv.Atoi(words[0])
	if err != nil || n <= 0 {
		return c, fmt.Errorf("%w: channel line %q", ErrProcFormat, line)
	}
	c.Number, words = n, words[1:]
	for len(words) > 0 {
		a, ok := alarmWords[words[len(words)-1]]
		if !ok {
			break
		}
		c.Alarms |= a
		words = words[:len(words)-1]
	}
	if len(words) > 0 && !sigNames[words[0]] {
		c.Name, words = words[0], words[1:]
	}
	words = slices.DeleteFunc(words, func(w string) bool { return w == "Master" || w == "Reserved" })
	c.Sig = strings.ReplaceAll(strings.Join(words, " "), "SF_ToneOnly", "SF (ToneOnly)")
	return c, nil
}
