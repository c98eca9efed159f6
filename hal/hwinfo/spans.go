package hwinfo

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/faxd/faxd/hal/dahdi"
)

// readSpans reads DAHDI's spans from sysfs (bus/dahdi_spans) or, where
// DAHDI predates its sysfs spans, from /proc/dahdi. loaded tells whether
// either exists.
func readSpans(sysRoot, procRoot string) (spans []Span, loaded bool, err error) {
	dir := filepath.Join(sysRoot, "bus/dahdi_spans/devices")
	ents, serr := os.ReadDir(dir)
	if serr == nil {
		for _, e := range ents {
			s, err := readSysfsSpan(filepath.Join(dir, e.Name()))
			if err != nil {
				return spans, true, err
			}
			spans = append(spans, s)
		}
		slices.SortFunc(spans, func(a, b Span) int { return a.Number - b.Number })
		return spans, true, nil
	}
	pdir := filepath.Join(procRoot, "dahdi")
	ents, perr := os.ReadDir(pdir)
	if perr != nil {
		if errors.Is(serr, os.ErrNotExist) && errors.Is(perr, os.ErrNotExist) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("hwinfo: dahdi spans: %v; %v", serr, perr)
	}
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		f, err := os.Open(filepath.Join(pdir, e.Name()))
		if err != nil {
			return spans, true, err
		}
		s, err := parseProcSpan(f)
		f.Close()
		if err != nil {
			return spans, true, fmt.Errorf("hwinfo: /proc/dahdi/%s: %w", e.Name(), err)
		}
		spans = append(spans, s)
	}
	slices.SortFunc(spans, func(a, b Span) int { return a.Number - b.Number })
	return spans, true, nil
}

// readSysfsSpan reads one bus/dahdi_spans/devices/span-N directory
// (attributes of dahdi-sysfs.c: name, desc, spantype, alarms as 0x%x,
// basechan, channels, is_sync_master; "ddev" links to the DAHDI device).
func readSysfsSpan(dir string) (Span, error) {
	s := Span{Source: "sysfs"}
	n, ok := strings.CutPrefix(filepath.Base(dir), "span-")
	var err error
	if s.Number, err = strconv.Atoi(n); !ok || err != nil {
		return s, fmt.Errorf("hwinfo: span directory %q", dir)
	}
	attr := func(name string) string {
		v, _ := readTrim(filepath.Join(dir, name))
		return v
	}
	s.Name, s.Desc, s.Type = attr("name"), attr("desc"), attr("spantype")
	a, _ := strconv.ParseUint(attr("alarms"), 0, 32)
	s.Alarms = dahdi.Alarms(a)
	s.BaseChan, _ = strconv.Atoi(attr("basechan"))
	s.Channels, _ = strconv.Atoi(attr("channels"))
	s.SyncMaster = attr("is_sync_master") == "1"
	s.Address = spanAddress(dir)
	return s, nil
}

var pciAddr = regexp.MustCompile(`^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$`)

// spanAddress finds the PCI device a span hangs off: DAHDI names its
// device "pci:<address>" and links it as "ddev"; failing that, the last
// PCI address on the span's real path.
func spanAddress(dir string) string {
	if a, ok := strings.CutPrefix(linkBase(filepath.Join(dir, "ddev")), "pci:"); ok && pciAddr.MatchString(a) {
		return a
	}
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return ""
	}
	addr := ""
	for _, el := range strings.Split(filepath.ToSlash(real), "/") {
		if pciAddr.MatchString(el) {
			addr = el
		}
	}
	return addr
}

var (
	procSpanLine = regexp.MustCompile(`^Span (\d+): (\S+) "([^"]*)"(.*)$`)
	alarmWords   = map[string]dahdi.Alarms{
		"RED": dahdi.AlarmRed, "YELLOW": dahdi.AlarmYellow, "BLUE": dahdi.AlarmBlue,
		"RECOVERING": dahdi.AlarmRecover, "LOOPBACK": dahdi.AlarmLoopback, "NOTOPEN": dahdi.AlarmNotOpen,
	}
)

// parseProcSpan parses a /proc/dahdi/N file: a "Span N: NAME "DESC" ..."
// line with flags and alarms, counters, then one line per channel
// starting with its number.
func parseProcSpan(r io.Reader) (Span, error) {
	s := Span{Source: "procfs"}
	sc := bufio.NewScanner(r)
	found := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if m := procSpanLine.FindStringSubmatch(line); m != nil && !found {
			found = true
			s.Number, _ = strconv.Atoi(m[1])
			s.Name, s.Desc = m[2], m[3]
			for _, w := range strings.Fields(m[4]) {
				if w == "(MASTER)" {
					s.SyncMaster = true
				}
				s.Alarms |= alarmWords[w]
			}
			continue
		}
		f := strings.Fields(line)
		if !found || len(f) < 2 {
			continue
		}
		if n, err := strconv.Atoi(f[0]); err == nil && n > 0 {
			if s.Channels == 0 {
				s.BaseChan = n
			}
			s.Channels++
		}
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	if !found {
		return s, errors.New("no Span line")
	}
	return s, nil
}
