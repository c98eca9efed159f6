package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/client"
	"github.com/faxd/faxd/api/wire"
)

// loginCommand: faxctl login [--save] [--new-password-file FILE].
func loginCommand(c *cli, fs *flag.FlagSet, args []string) error {
	save := fs.Bool("save", false, "keep URL, account, name and fingerprint in the config file (never the secret)")
	newFile := fs.String("new-password-file", "", "change the password to the first line of this file (else asked twice when the password is one-time)")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("login takes no arguments")
	}
	cl, s, secret, err := c.client()
	if err != nil {
		return err
	}
	tok, err := cl.Login(c.ctx)
	if err != nil {
		return err
	}
	changed := false
	if tok.ChangeRequired || *newFile != "" {
		nw, err := c.newPassword(*newFile, tok.ChangeRequired)
		if err != nil {
			return err
		}
		if err := cl.ChangePassword(c.ctx, secret, nw); err != nil {
			return fmt.Errorf("password change: %w", err)
		}
		changed = true
		if tok, err = cl.Login(c.ctx); err != nil {
			return err
		}
	}
	saved := ""
	if *save {
		if saved, err = c.saveConfig(s); err != nil {
			return err
		}
	}
	if c.g.json {
		return c.printJSON(struct {
			URL             string      `json:"url"`
			Account         string      `json:"account"`
			Name            string      `json:"name"`
			Roles           []auth.Role `json:"roles"`
			Expires         time.Time   `json:"expires"`
			PasswordChanged bool        `json:"password_changed"`
			Saved           string      `json:"saved,omitempty"`
		}{s.URL, s.Account, s.Name, tok.Roles, tok.Expires, changed, saved})
	}
	roles := make([]string, len(tok.Roles))
	for i, r := range tok.Roles {
		roles[i] = string(r)
	}
	fmt.Fprintf(c.stdout, "logged in to %s as %s (account %s), roles %s; token good until %s\n", s.URL, s.Name, s.Account, strings.Join(roles, ", "), when(tok.Expires))
	if changed {
		fmt.Fprintln(c.stdout, "password changed")
	}
	if saved != "" {
		fmt.Fprintf(c.stdout, "settings saved to %s (no secret)\n", saved)
	}
	return nil
}

// newPassword reads the new password from file, or asks for it twice.
func (c *cli) newPassword(file string, oneTime bool) (string, error) {
	if file != "" {
		return readSecretFile(file)
	}
	if !c.isTerminal(c.stdin) {
		return "", errors.New("the password is one-time and must be changed: give --new-password-file, or run on a terminal to be asked")
	}
	if oneTime {
		fmt.Fprintln(c.stderr, "the password is one-time: choose a new one (12 to 256 characters)")
	}
	a, err := c.readPassword("new password: ")
	if err != nil {
		return "", err
	}
	b, err := c.readPassword("new password again: ")
	if err != nil {
		return "", err
	}
	if a != b {
		return "", errors.New("the two new passwords differ")
	}
	return a, nil
}

// sendCommand: faxctl send --to NUMBER... FILE...
func sendCommand(c *cli, fs *flag.FlagSet, args []string) error {
	var to stringList
	fs.Var(&to, "to", "a number to send to, in E.164 (+ and country code); more than one --to for more")
	header := fs.String("header", "", "the header line printed on each page")
	ident := fs.String("ident", "", "the station identity sent (digits, + and spaces, up to 20)")
	resolution := fs.String("resolution", "", "standard, fine or superfine (default fine)")
	noECM := fs.Bool("no-ecm", false, "send without error correction mode")
	maxRate := fs.Int("max-rate", 0, "the highest rate in bit/s: 2400 to 14400 (default 14400)")
	priority := fs.Int("priority", 0, "0 (lowest) to 9 (default 5)")
	notBefore := fs.String("not-before", "", "not sent before this time (RFC 3339)")
	attempts := fs.Int("attempts", 0, "attempts per number, 1 to 10 (default 3)")
	webhook := fs.String("webhook", "", "an https URL told of the fax's end")
	wait := fs.Bool("wait", false, "follow the fax until it ends; exit 0 only if it was sent")
	poll := fs.Duration("poll", 2*time.Second, "how often --wait asks")
	files, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(to) == 0 {
		return usagef("--to is required")
	}
	if len(files) == 0 {
		return usagef("no document to send")
	}
	if len(files) > wire.MaxDocuments {
		return usagef("%d documents, at most %d", len(files), wire.MaxDocuments)
	}
	req := wire.FaxRequest{To: to, Header: *header, Ident: *ident, Resolution: *resolution, MaxRate: *maxRate, Webhook: *webhook}
	if *noECM {
		off := false
		req.ECM = &off
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "priority" {
			req.Priority = priority // 0 too: the lowest, not the default
		}
	})
	if *notBefore != "" {
		t, err := time.Parse(time.RFC3339, *notBefore)
		if err != nil {
			return usagef("--not-before %q is not an RFC 3339 time (2026-12-01T09:00:00Z)", *notBefore)
		}
		req.NotBefore = &t
	}
	if *attempts != 0 {
		req.Retry = &wire.RetryRules{MaxAttempts: *attempts}
	}
	if *poll <= 0 {
		return usagef("--poll must be positive")
	}
	var docs []client.Document
	for _, name := range files {
		if name == "-" {
			docs = append(docs, client.Document{Name: "stdin", Body: c.stdin})
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		d := client.Document{Name: filepath.Base(name), Body: f}
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			d.Size = st.Size()
		}
		docs = append(docs, d)
	}
	cl, _, _, err := c.client()
	if err != nil {
		return err
	}
	var progress func(sent, total int64)
	bar := &progressBar{w: c.stderr}
	if c.isTerminal(c.stderr) {
		progress = bar.update
	}
	f, err := cl.SendProgress(c.ctx, req, progress, docs...)
	bar.done()
	if err != nil {
		return err
	}
	if !*wait {
		if c.g.json {
			return c.printJSON(f)
		}
		printFax(c.stdout, f)
		return nil
	}
	var onChange func(client.Fax)
	line := &statusLine{w: c.stderr}
	if c.isTerminal(c.stderr) {
		onChange = func(f client.Fax) { line.set(faxLine(f)) }
	}
	final, err := cl.Wait(c.ctx, f.ID, *poll, onChange)
	line.done()
	if err != nil {
		return fmt.Errorf("%s: %w", f.ID, err)
	}
	if c.g.json {
		err = c.printJSON(final)
	} else {
		printFax(c.stdout, final)
	}
	if err == nil && final.State != client.StateSent {
		err = fmt.Errorf("%s ended %s", final.ID, final.State)
	}
	return err
}

// oneID parses a command that takes one ID.
func (c *cli) oneID(fs *flag.FlagSet, args []string) (string, error) {
	pos, err := c.parse(fs, args)
	if err != nil {
		return "", err
	}
	if len(pos) != 1 {
		return "", usagef("one ID, not %d arguments", len(pos))
	}
	return pos[0], nil
}

// statusCommand: faxctl status ID.
func statusCommand(c *cli, fs *flag.FlagSet, args []string) error {
	return byID(c, fs, args, (*client.Client).Fax, func(f *client.Fax) { printFax(c.stdout, f) })
}

// cancelCommand: faxctl cancel ID.
func cancelCommand(c *cli, fs *flag.FlagSet, args []string) error {
	return byID(c, fs, args, (*client.Client).Cancel, func(f *client.Fax) {
		fmt.Fprintf(c.stdout, "%s %s; its documents are destroyed\n", f.ID, f.State)
	})
}

// pageFlags are the flags of a listing.
type pageFlags struct {
	limit *int
	after *string
	all   *bool
}

func addPageFlags(fs *flag.FlagSet) pageFlags {
	return pageFlags{
		limit: fs.Int("limit", 0, "entries a page (default the server's)"),
		after: fs.String("after", "", "the page after this cursor (a page's next)"),
		all:   fs.Bool("all", false, "every page"),
	}
}

// listing prints a listing: one page and its cursor, or with all every
// page. key names the list in the JSON document.
func listing[T any](c *cli, p pageFlags, key string, first func() ([]T, string, error), all func() ([]T, error), header []string, rows func([]T) [][]string) error {
	var items []T
	var next string
	var err error
	if *p.all {
		items, err = all()
	} else {
		items, next, err = first()
	}
	if err != nil {
		return err
	}
	if items == nil {
		items = []T{}
	}
	if c.g.json {
		doc := map[string]any{key: items}
		if !*p.all {
			doc["next"] = next
		}
		return c.printJSON(doc)
	}
	if len(items) == 0 {
		fmt.Fprintf(c.stdout, "no %s\n", key)
	} else {
		table(c.stdout, header, rows(items))
	}
	if next != "" {
		fmt.Fprintf(c.stderr, "more: --after %s (or --all)\n", next)
	}
	return nil
}

func collect[T any](seq func(func(T, error) bool)) ([]T, error) {
	var out []T
	for x, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// listCommand: faxctl list [--state S] [--limit N] [--after C] [--all].
func listCommand(c *cli, fs *flag.FlagSet, args []string) error {
	state := fs.String("state", "", "only faxes in this state: queued, sending, sent, failed, canceled, partial")
	pf := addPageFlags(fs)
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("list takes no arguments")
	}
	cl, _, _, err := c.client()
	if err != nil {
		return err
	}
	o := client.ListOptions{State: *state, Limit: *pf.limit, After: *pf.after}
	return listing(c, pf, "faxes",
		func() ([]client.Fax, string, error) {
			p, err := cl.Faxes(c.ctx, o)
			if err != nil {
				return nil, "", err
			}
			return p.Faxes, p.Next, nil
		},
		func() ([]client.Fax, error) { return collect(cl.AllFaxes(c.ctx, o)) },
		faxHeader, faxRows)
}

// inboxCommand: faxctl inbox [--number N] [--limit N] [--after C] [--all], or inbox ID.
func inboxCommand(c *cli, fs *flag.FlagSet, args []string) error {
	number := fs.String("number", "", "only faxes received on this number")
	pf := addPageFlags(fs)
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usagef("at most one ID")
	}
	cl, _, _, err := c.client()
	if err != nil {
		return err
	}
	if len(pos) == 1 {
		e, err := cl.InboxEntry(c.ctx, pos[0])
		if err != nil {
			return err
		}
		if c.g.json {
			return c.printJSON(e)
		}
		table(c.stdout, inboxHeader, inboxRows([]client.InboxEntry{*e}))
		return nil
	}
	o := client.InboxOptions{Number: *number, Limit: *pf.limit, After: *pf.after}
	return listing(c, pf, "faxes",
		func() ([]client.InboxEntry, string, error) {
			p, err := cl.Inbox(c.ctx, o)
			if err != nil {
				return nil, "", err
			}
			return p.Faxes, p.Next, nil
		},
		func() ([]client.InboxEntry, error) { return collect(cl.AllInbox(c.ctx, o)) },
		inboxHeader, inboxRows)
}

// fetchCommand: faxctl fetch ID [--format tiff|pdf] [-o FILE].
func fetchCommand(c *cli, fs *flag.FlagSet, args []string) error {
	format := fs.String("format", client.FormatTIFF, "tiff (TIFF Class F) or pdf")
	out := fs.String("o", "", "write the image to this file (mode 0600); - or none: stdout, if it is not a terminal")
	id, err := c.oneID(fs, args)
	if err != nil {
		return err
	}
	if *format != client.FormatTIFF && *format != client.FormatPDF {
		return usagef("--format %q: tiff or pdf", *format)
	}
	toStdout := *out == "" || *out == "-"
	if toStdout && c.g.json {
		return usagef("--json writes JSON on stdout: give -o FILE for the image")
	}
	if toStdout && c.isTerminal(c.stdout) {
		return usagef("refusing to write image bytes to a terminal: give -o FILE or redirect stdout")
	}
	cl, _, _, err := c.client()
	if err != nil {
		return err
	}
	img, ct, err := cl.Fetch(c.ctx, id, *format)
	if err != nil {
		return err
	}
	if toStdout {
		_, err := c.stdout.Write(img)
		return err
	}
	if err := writeFileAtomic(*out, img); err != nil {
		return err
	}
	if c.g.json {
		return c.printJSON(map[string]any{"id": id, "file": *out, "content_type": ct, "bytes": len(img)})
	}
	fmt.Fprintf(c.stdout, "%s: %s of %s written to %s\n", id, size(int64(len(img))), ct, *out)
	return nil
}

// ackCommand: faxctl ack ID.
func ackCommand(c *cli, fs *flag.FlagSet, args []string) error {
	return byID(c, fs, args, (*client.Client).Ack, func(e *client.InboxEntry) {
		at := "-"
		if e.Acknowledged != nil {
			at = when(*e.Acknowledged)
		}
		fmt.Fprintf(c.stdout, "%s acknowledged at %s; its image is destroyed\n", e.ID, at)
	})
}

// byID runs a command of one ID: the client's call, then its answer as
// JSON or for people.
func byID[T any](c *cli, fs *flag.FlagSet, args []string, call func(*client.Client, context.Context, string) (*T, error), human func(*T)) error {
	id, err := c.oneID(fs, args)
	if err != nil {
		return err
	}
	cl, _, _, err := c.client()
	if err != nil {
		return err
	}
	v, err := call(cl, c.ctx, id)
	if err != nil {
		return err
	}
	if c.g.json {
		return c.printJSON(v)
	}
	human(v)
	return nil
}

// callsCommand: faxctl calls [--direction in|out] [--limit N] [--after C] [--all].
func callsCommand(c *cli, fs *flag.FlagSet, args []string) error {
	dir := fs.String("direction", "", "in or out (default both)")
	pf := addPageFlags(fs)
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("calls takes no arguments")
	}
	if *dir != "" && *dir != "in" && *dir != "out" {
		return usagef("--direction %q: in or out", *dir)
	}
	cl, _, _, err := c.client()
	if err != nil {
		return err
	}
	o := client.CallOptions{Direction: *dir, Limit: *pf.limit, After: *pf.after}
	return listing(c, pf, "calls",
		func() ([]client.CallRecord, string, error) {
			p, err := cl.Calls(c.ctx, o)
			if err != nil {
				return nil, "", err
			}
			return p.Calls, p.Next, nil
		},
		func() ([]client.CallRecord, error) { return collect(cl.AllCalls(c.ctx, o)) },
		callHeader, callRows)
}

// action splits an admin command's arguments into its action (def if
// none) and the rest, and checks the action is one of valid.
func action(pos []string, def string, valid ...string) (string, []string, error) {
	if len(pos) == 0 {
		return def, nil, nil
	}
	if !slices.Contains(valid, pos[0]) {
		return "", nil, usagef("%q: %s", pos[0], strings.Join(valid, ", "))
	}
	return pos[0], pos[1:], nil
}

// credentialsCommand: faxctl admin credentials [list | create NAME --role R... | delete NAME].
func credentialsCommand(c *cli, fs *flag.FlagSet, args []string) error {
	var roles stringList
	fs.Var(&roles, "role", "a role of the new credential: sender, receiver or auditor (and admin for a --user); more than one --role for more")
	user := fs.Bool("user", false, "create: a user (a login with a one-time password) instead of an API credential")
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	act, rest, err := action(pos, "list", "list", "create", "delete")
	if err != nil {
		return err
	}
	switch {
	case act == "list" && len(rest) > 0, act != "list" && len(rest) != 1:
		return usagef("%s: wrong number of arguments", act)
	case act == "create" && len(roles) == 0:
		return usagef("create: at least one --role")
	case act != "create" && (len(roles) > 0 || *user):
		return usagef("--role and --user are for create")
	}
	cl, _, _, err := c.client()
	if err != nil {
		return err
	}
	switch act {
	case "create":
		rs := make([]auth.Role, len(roles))
		for i, r := range roles {
			rs[i] = auth.Role(r)
		}
		create, what := cl.CreateCredential, "secret"
		if *user {
			create, what = cl.CreateUser, "one-time password"
		}
		v, err := create(c.ctx, rest[0], rs...)
		if err != nil {
			return err
		}
		if c.g.json {
			return c.printJSON(v)
		}
		fmt.Fprintf(c.stdout, "%s %s made, roles %s\n%s: %s\n", map[bool]string{false: "credential", true: "user"}[*user], v.Name, roleList(v.Roles), what, v.Secret)
		fmt.Fprintf(c.stderr, "the %s is shown this once: keep it now\n", what)
		return nil
	case "delete":
		if err := cl.DeleteCredential(c.ctx, rest[0]); err != nil {
			return err
		}
		if c.g.json {
			return c.printJSON(map[string]string{"deleted": rest[0]})
		}
		fmt.Fprintf(c.stdout, "credential %s deleted\n", rest[0])
		return nil
	}
	list, err := cl.Credentials(c.ctx)
	if err != nil {
		return err
	}
	if list == nil {
		list = []wire.CredentialView{}
	}
	if c.g.json {
		return c.printJSON(map[string]any{"credentials": list})
	}
	var rows [][]string
	for _, v := range list {
		rows = append(rows, []string{v.Name, v.Kind, roleList(v.Roles), when(v.Created)})
	}
	table(c.stdout, []string{"NAME", "KIND", "ROLES", "CREATED"}, rows)
	return nil
}

func roleList(rs []auth.Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

// networkRulesCommand: faxctl admin network-rules [get | set RULES...].
func networkRulesCommand(c *cli, fs *flag.FlagSet, args []string) error {
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	act, rest, err := action(pos, "get", "get", "set")
	if err != nil {
		return err
	}
	if act == "get" && len(rest) > 0 || act == "set" && len(rest) == 0 {
		return usagef("%s: wrong number of arguments", act)
	}
	cl, _, _, err := c.client()
	if err != nil {
		return err
	}
	var rules string
	if act == "set" {
		// "192.0.2.0/24, ::1" whether it comes as one argument or several.
		var parts []string
		for _, a := range rest {
			for p := range strings.SplitSeq(a, ",") {
				if p = strings.TrimSpace(p); p != "" {
					parts = append(parts, p)
				}
			}
		}
		rules, err = cl.SetNetworkRules(c.ctx, strings.Join(parts, ", "))
	} else {
		rules, err = cl.NetworkRules(c.ctx)
	}
	if err != nil {
		return err
	}
	if c.g.json {
		return c.printJSON(wire.NetworkRulesBody{Rules: rules})
	}
	fmt.Fprintln(c.stdout, orDash(rules))
	return nil
}

// numbersCommand: faxctl admin numbers [get | set NUMBER... | clear].
func numbersCommand(c *cli, fs *flag.FlagSet, args []string) error {
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	act, rest, err := action(pos, "get", "get", "set", "clear")
	if err != nil {
		return err
	}
	if act == "set" && len(rest) == 0 {
		return usagef("set: at least one number (clear for none)")
	}
	if act != "set" && len(rest) > 0 {
		return usagef("%s takes no arguments", act)
	}
	cl, _, _, err := c.client()
	if err != nil {
		return err
	}
	var nums []string
	switch act {
	case "set":
		nums, err = cl.SetNumbers(c.ctx, rest)
	case "clear":
		nums, err = cl.SetNumbers(c.ctx, []string{})
	default:
		nums, err = cl.Numbers(c.ctx)
	}
	if err != nil {
		return err
	}
	if nums == nil {
		nums = []string{}
	}
	if c.g.json {
		return c.printJSON(map[string][]string{"numbers": nums})
	}
	if len(nums) == 0 {
		fmt.Fprintln(c.stdout, "no numbers")
	}
	for _, n := range nums {
		fmt.Fprintln(c.stdout, n)
	}
	return nil
}

// webhookSecretCommand: faxctl admin webhook-secret.
func webhookSecretCommand(c *cli, fs *flag.FlagSet, args []string) error {
	pos, err := c.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("webhook-secret takes no arguments")
	}
	cl, _, _, err := c.client()
	if err != nil {
		return err
	}
	s, err := cl.NewWebhookSecret(c.ctx)
	if err != nil {
		return err
	}
	if c.g.json {
		return c.printJSON(map[string]string{"secret": s})
	}
	fmt.Fprintf(c.stdout, "webhook secret: %s\n", s)
	fmt.Fprintln(c.stderr, "shown this once; the old secret no longer signs")
	return nil
}
