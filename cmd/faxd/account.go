package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/faxd/faxd/api/audit"
	"github.com/faxd/faxd/api/auth"
	"github.com/faxd/faxd/api/wire"
)

// accountCommand: faxd account add NAME [--numbers E164S] [--allow CIDRS] [--data DIR]
// | list [--data DIR] | disable NAME | enable NAME.
//
// Accounts are the operator's to make, from the data directory (an
// account's admins manage what is in it, over the API); like key
// rotation, these take the data directory's lock: the server is stopped
// meanwhile, so the audit chain has one writer.
func accountCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("%w: account wants add, list, disable or enable", errUsage)
	}
	verb := args[0]
	fs := flag.NewFlagSet("account "+verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", "faxd-data", "the data directory")
	numbers := fs.String("numbers", "", "E.164 numbers whose faxes go to the account's inbox, comma-separated")
	allow := fs.String("allow", "127.0.0.0/8, ::1", "networks the account may connect from")
	var name string
	rest := args[1:]
	if verb != "list" {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			return fmt.Errorf("%w: account %s wants a name", errUsage, verb)
		}
		name, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil || fs.NArg() > 0 {
		return fmt.Errorf("%w: account %s: %v %v", errUsage, verb, err, fs.Args())
	}
	switch verb {
	case "add", "list", "disable", "enable":
	default:
		return fmt.Errorf("%w: account %s", errUsage, verb)
	}
	lock, err := lockData(*data)
	if err != nil {
		return fmt.Errorf("%w (stop the server first)", err)
	}
	defer lock.Close()
	d, err := openData(*data)
	if err != nil {
		return err
	}
	defer d.Close()
	ctx := context.Background()
	switch verb {
	case "list":
		ids, err := d.store.ListAccounts(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ACCOUNT\tSTATE\tNETWORKS\tNUMBERS")
		for _, id := range ids {
			a, err := d.store.Account(ctx, id)
			if err != nil {
				return err
			}
			ns, err := d.store.Numbers(ctx, id)
			if err != nil {
				return err
			}
			state := "active"
			if a.Disabled {
				state = "disabled"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", id, state, a.Rules, strings.Join(ns, ", "))
		}
		return tw.Flush()
	case "disable", "enable":
		if err := d.store.SetDisabled(ctx, name, verb == "disable"); err != nil {
			return err
		}
		_, err := d.audit.Append(audit.Entry{Actor: "faxd account", Account: name, Action: "account." + verb, Object: name, Outcome: "ok"})
		if err == nil {
			fmt.Fprintf(stdout, "account %s %sd\n", name, verb)
		}
		return err
	}
	rules, err := auth.ParseNetworkRules(*allow)
	if err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	nums, err := parseNumbers(*numbers)
	if err != nil {
		return err
	}
	pw, err := addAccount(ctx, d, name, rules, nums)
	if err != nil {
		return err
	}
	if _, err := d.audit.Append(audit.Entry{Actor: "faxd account", Account: name, Action: "account.add", Object: name, Outcome: "ok", Detail: strings.Join(nums, ",")}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "account:         %s (from %s)\nnumbers:         %s\nadmin user:      admin\nadmin password:  %s   (shown this once, to be changed at the first login)\n",
		name, rules, strings.Join(nums, ", "), pw)
	return nil
}

// addAccount makes an account with its numbers and its first admin, whose
// one-time password it returns.
func addAccount(ctx context.Context, d *dataDir, name string, rules auth.NetworkRules, numbers []string) (string, error) {
	for _, n := range numbers {
		if owner, err := d.store.NumberOwner(ctx, n); err == nil {
			return "", fmt.Errorf("number %s is account %s's", n, owner)
		}
	}
	if err := d.store.CreateAccount(ctx, name, rules); err != nil {
		return "", err
	}
	if err := d.store.SetNumbers(ctx, name, numbers); err != nil {
		return "", err
	}
	pw := oneTimePassword()
	cred := auth.Credential{Account: name, Name: "admin", Hash: auth.HashPassword(pw, auth.DefaultParams), Roles: []auth.Role{auth.RoleAdmin}, Kind: "user", MustChange: true}
	if err := d.store.CreateCredential(ctx, cred); err != nil {
		return "", err
	}
	return pw, nil
}

// parseNumbers reads a comma-separated list of E.164 numbers.
func parseNumbers(s string) ([]string, error) {
	var nums []string
	for _, n := range splitList(s) {
		e, err := wire.ParseE164(n)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		nums = append(nums, e)
	}
	return nums, nil
}
