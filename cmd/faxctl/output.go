package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/faxd/faxd/api/client"
)

// printJSON writes v as the command's one JSON document.
func (c *cli) printJSON(v any) error {
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes rows under a header, columns aligned.
func table(w io.Writer, header []string, rows [][]string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	tw.Flush()
}

// fields writes name-value pairs, values aligned.
func fields(w io.Writer, kv ...string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(tw, "%s\t%s\n", kv[i], kv[i+1])
	}
	tw.Flush()
}

// when writes a time as a person reads it, in local time; "-" for none.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format(time.DateTime)
}

// whenPtr is when for a time that may be absent (nil).
func whenPtr(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return when(*t)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// size writes an octet count in KiB or MiB.
func size(n int64) string {
	switch {
	case n < 1<<10:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}

// printFax writes a fax's status, and a table of its recipients and
// their attempts.
func printFax(w io.Writer, f *client.Fax) {
	pages := "-"
	if f.Pages > 0 {
		pages = strconv.Itoa(f.Pages)
	}
	fields(w,
		"fax", f.ID,
		"state", f.State,
		"to", strings.Join(f.To, ", "),
		"documents", strconv.Itoa(f.Documents),
		"pages", pages,
		"priority", strconv.Itoa(f.Priority),
		"not before", when(f.NotBefore),
		"created", when(f.Created),
		"updated", when(f.Updated),
	)
	if len(f.Recipients) == 0 {
		return
	}
	fmt.Fprintln(w)
	var rows [][]string
	for _, r := range f.Recipients {
		sent := strconv.Itoa(r.PagesSent)
		if f.Pages > 0 {
			sent += "/" + strconv.Itoa(f.Pages)
		}
		head := []string{r.To, r.State, sent}
		if len(r.Attempts) == 0 {
			rows = append(rows, append(head, "-", "-", "-", "-", "-", whenPtr(r.NextAttempt)))
			continue
		}
		for i, a := range r.Attempts {
			row := []string{"", "", ""}
			if i == 0 {
				row = head
			}
			row = append(row, strconv.Itoa(a.N), when(a.Started), whenPtr(a.Ended), orDash(a.Result), orDash(a.Call))
			if i == len(r.Attempts)-1 {
				row = append(row, whenPtr(r.NextAttempt))
			}
			rows = append(rows, row)
		}
	}
	table(w, []string{"RECIPIENT", "STATE", "PAGES", "ATTEMPT", "STARTED", "ENDED", "RESULT", "CALL", "NEXT ATTEMPT"}, rows)
}

// faxLine is a fax on one line, for the live status.
func faxLine(f client.Fax) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", f.ID, f.State)
	if f.Pages > 0 {
		fmt.Fprintf(&b, ", %d pages", f.Pages)
	}
	for _, r := range f.Recipients {
		fmt.Fprintf(&b, "; %s %s", r.To, r.State)
		if n := len(r.Attempts); n > 0 {
			a := r.Attempts[n-1]
			fmt.Fprintf(&b, " (attempt %d", a.N)
			if a.Result != "" {
				fmt.Fprintf(&b, ": %s", a.Result)
			}
			b.WriteString(")")
		}
		if r.NextAttempt != nil {
			fmt.Fprintf(&b, ", retry at %s", r.NextAttempt.Local().Format(time.TimeOnly))
		}
	}
	return b.String()
}

func faxRows(faxes []client.Fax) [][]string {
	var rows [][]string
	for _, f := range faxes {
		pages := "-"
		if f.Pages > 0 {
			pages = strconv.Itoa(f.Pages)
		}
		rows = append(rows, []string{f.ID, f.State, strings.Join(f.To, ","), strconv.Itoa(f.Documents), pages, strconv.Itoa(f.Priority), when(f.Created), when(f.Updated)})
	}
	return rows
}

var faxHeader = []string{"ID", "STATE", "TO", "DOCS", "PAGES", "PRIORITY", "CREATED", "UPDATED"}

func inboxRows(es []client.InboxEntry) [][]string {
	var rows [][]string
	for _, e := range es {
		ack := "-"
		if e.Acknowledged != nil {
			ack = when(*e.Acknowledged)
		}
		rows = append(rows, []string{e.ID, e.Number, orDash(e.RemoteIdent), strconv.Itoa(e.Pages), yesNo(e.Complete), when(e.Received), ack})
	}
	return rows
}

var inboxHeader = []string{"ID", "NUMBER", "FROM", "PAGES", "COMPLETE", "RECEIVED", "ACKNOWLEDGED"}

func callRows(cs []client.CallRecord) [][]string {
	var rows [][]string
	for _, r := range cs {
		dur := "-"
		if !r.Ended.IsZero() && !r.Started.IsZero() {
			dur = r.Ended.Sub(r.Started).Round(time.Second).String()
		}
		rate := "-"
		if r.Rate > 0 {
			rate = strconv.Itoa(r.Rate)
		}
		ref := r.Fax
		if r.Direction == "in" {
			ref = r.Inbox
		}
		rows = append(rows, []string{r.ID, r.Direction, r.Local, r.Remote, when(r.Started), dur, strconv.Itoa(r.Pages), rate, orDash(r.Modem), r.Result, orDash(ref)})
	}
	return rows
}

var callHeader = []string{"ID", "DIR", "LOCAL", "REMOTE", "STARTED", "DURATION", "PAGES", "RATE", "MODEM", "RESULT", "FAX"}

// progressBar draws an upload's progress on a terminal.
type progressBar struct {
	w    io.Writer
	pct  int
	open bool // a bar is drawn and its line not ended
}

func (p *progressBar) update(sent, total int64) {
	pct := 100
	if total > 0 {
		pct = int(sent * 100 / total)
	}
	if p.open && pct == p.pct {
		return
	}
	const width = 30
	n := pct * width / 100
	fmt.Fprintf(p.w, "\rupload %3d%% [%s%s] %s of %s", pct, strings.Repeat("=", n), strings.Repeat(" ", width-n), size(sent), size(total))
	p.pct, p.open = pct, true
}

// done ends the bar's line.
func (p *progressBar) done() {
	if p.open {
		fmt.Fprintln(p.w)
		p.open = false
	}
}

// statusLine keeps one line of a terminal up to date.
type statusLine struct {
	w    io.Writer
	open bool
}

func (s *statusLine) set(line string) {
	fmt.Fprintf(s.w, "\r\x1b[K%s", line)
	s.open = true
}

func (s *statusLine) done() {
	if s.open {
		fmt.Fprintln(s.w)
		s.open = false
	}
}
