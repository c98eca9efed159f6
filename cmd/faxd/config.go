package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strings"
)

// loadConfig sets fs's flags from a configuration file before the command
// line (which overrides it): one setting a line, "name = value" or
// "name value", the names those of the flags without their dashes; blank
// lines and lines starting with # are skipped. An unknown name is an
// error, so a typing mistake does not leave a default silently in force.
func loadConfig(fs *flag.FlagSet, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			name, value, _ = strings.Cut(line, " ")
		}
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if name == "config" || fs.Lookup(name) == nil {
			return fmt.Errorf("%w: %s:%d: no setting %q", errUsage, path, n, name)
		}
		if err := fs.Set(name, value); err != nil {
			return fmt.Errorf("%w: %s:%d: %s: %v", errUsage, path, n, name, err)
		}
	}
	return sc.Err()
}

// parseWithConfig parses args into fs, first from the file a --config
// argument names (found before the rest are parsed).
func parseWithConfig(fs *flag.FlagSet, args []string) error {
	for i, a := range args {
		var path string
		switch {
		case a == "--config" || a == "-config":
			if i+1 < len(args) {
				path = args[i+1]
			}
		case strings.HasPrefix(a, "--config="), strings.HasPrefix(a, "-config="):
			_, path, _ = strings.Cut(a, "=")
		default:
			continue
		}
		if path == "" {
			return fmt.Errorf("%w: --config needs a file", errUsage)
		}
		if err := loadConfig(fs, path); err != nil {
			return err
		}
		break
	}
	return fs.Parse(args)
}
