package cli

import (
	"context"
	"flag"
	"io"
)

// The command table: the one list of pb's commands. Global help, each
// command's help, "pb help CMD", the shell completion scripts and the man
// page are all generated from it, and each command's flags come from the
// same FlagSet builder its run function parses with, so none of them can
// drift from what pb accepts.

// command is one pb command.
type command struct {
	name     string
	synopsis string // what follows "pb NAME" in the usage line
	summary  string // one line for the command list
	help     string // the long help: what it does, in prose
	actions  []action
	// values lists the allowed values of flags that take a fixed set, by
	// flag name; flagValues adds the ones every command shares.
	values map[string][]string
	flags  func(Env) *flag.FlagSet
	run    func(ctx context.Context, args []string, env Env) error
}

// action is a subcommand: pb service install.
type action struct{ name, summary string }

// Fixed sets of flag values, shared by validation, help and completion.
var (
	colorModes    = []string{"auto", "always", "never"}
	unitBases     = []string{"si", "iec"}
	exportFormats = []string{"json", "csv", "llm", "html", "md"}
	importSources = []string{"packetbuddy", "vnstat"}
	logLevels     = []string{"debug", "info", "warn", "error"}
	shells        = []string{"bash", "zsh", "fish", "powershell"}
)

// flagsOf adapts a command's FlagSet builder to the table.
func flagsOf[T any](build func(Env) (*flag.FlagSet, T)) func(Env) *flag.FlagSet {
	return func(env Env) *flag.FlagSet {
		fs, _ := build(env)
		return fs
	}
}

func commands() []command {
	return []command{
		{name: "serve", synopsis: "[flags]", summary: "run the daemon: count traffic, serve the API and dashboard",
			help: serveHelp, values: map[string][]string{"log-level": logLevels}, flags: flagsOf(serveFlags), run: runServe},
		{name: "today", synopsis: "[flags]", summary: "today's traffic, peak speed and cost",
			help: todayHelp, flags: flagsOf(todayFlags), run: runToday},
		{name: "month", synopsis: "[YYYY-MM] [flags]", summary: "a month day by day (default this month)",
			help: monthHelp, flags: flagsOf(monthFlags), run: runMonth},
		{name: "summary", synopsis: "[flags]", summary: "lifetime totals",
			help: summaryHelp, flags: flagsOf(summaryFlags), run: runSummary},
		{name: "range", synopsis: "--from DATE --to DATE [flags]", summary: "the days from --from to --to",
			help: rangeHelp, flags: flagsOf(rangeFlags), run: runRange},
		{name: "hours", synopsis: "[DATE] [flags]", summary: "one day hour by hour (default today)",
			help: hoursHelp, flags: flagsOf(hoursFlags), run: runHours},
		{name: "days", synopsis: "[N] [flags]", summary: "the last N days (default 30)",
			help: daysHelp, flags: flagsOf(daysFlags), run: runDays},
		{name: "years", synopsis: "[flags]", summary: "every year (--months: and its months)",
			help: yearsHelp, flags: flagsOf(yearsFlags), run: runYears},
		{name: "top", synopsis: "[N] [flags]", summary: "the N busiest days (default 10)",
			help: topHelp, flags: flagsOf(topFlags), run: runTop},
		{name: "trends", synopsis: "[flags]", summary: "this month, week and year against the past; profiles; unusual use",
			help: trendsHelp, flags: flagsOf(trendsFlags), run: runTrends},
		{name: "plan", synopsis: "[flags]", summary: "data plans: used, remaining, forecast, cost",
			help: planHelp, flags: flagsOf(planFlags), run: runPlan},
		{name: "check", synopsis: "[flags]", summary: "exit non-zero when a data plan nears its cap (for cron)",
			help: checkHelp, flags: flagsOf(checkFlags), run: runCheck},
		{name: "apps", synopsis: "[today|month] [flags]", summary: "traffic per application (Linux, [apps] enabled)",
			help: appsHelp, flags: flagsOf(appsFlags), run: runApps},
		{name: "networks", synopsis: "[today|month|rename|merge|metered ...] [flags]", summary: "traffic per network (gateway and Wi-Fi SSID); rename, merge, metered",
			help: networksHelp, flags: flagsOf(networksFlags), run: runNetworks,
			actions: []action{{"today", "today's traffic per network (the default)"}, {"month", "this month's"},
				{"rename", "rename OLD NEW: give a network a name"}, {"merge", "merge FROM INTO: make two networks one, history included"},
				{"metered", "metered NAME on|off: mark a network metered"}}},
		{name: "interfaces", synopsis: "[flags]", summary: "every interface, counted or not, with its traffic",
			help: interfacesHelp, flags: flagsOf(interfacesFlags), run: runInterfaces},
		{name: "events", synopsis: "[flags]", summary: "the event log: spikes, resets, restarts, gaps",
			help: eventsHelp, flags: flagsOf(eventsFlags), run: runEvents},
		{name: "live", synopsis: "[flags]", summary: "live speed per interface (q to quit)",
			help: liveHelp, flags: flagsOf(liveFlags), run: runLive},
		{name: "status", synopsis: "[flags]", summary: "is the daemon running? data, database, last flush, sync",
			help: statusHelp, flags: flagsOf(statusFlags), run: runStatus},
		{name: "storage", synopsis: "[cleanup] [flags]", summary: "database size and rows; cleanup of old detail",
			help: storageHelp, flags: flagsOf(storageFlags), run: runStorage,
			actions: []action{{"cleanup", "remove 1-minute detail past its retention and old events (--dry-run: only count)"}}},
		{name: "export", synopsis: "[--format FORMAT] [--from DATE] [--to DATE] [--output FILE|-]", summary: "export as json, csv, llm, html or md",
			help: exportHelp, values: map[string][]string{"format": exportFormats}, flags: flagsOf(exportFlags), run: runExport},
		{name: "import", synopsis: "--from packetbuddy|vnstat [PATH] [flags]", summary: "import history from PacketBuddy 1.x or vnStat",
			help: importHelp, values: map[string][]string{"from": importSources}, flags: flagsOf(importFlags), run: runImport},
		{name: "completion", synopsis: "SHELL", summary: "shell completion script: bash, zsh, fish or powershell",
			help: completionHelp, flags: flagsOf(completionFlags), run: runCompletion,
			actions: []action{{"bash", "Bash 4 or later"}, {"zsh", "Z shell"}, {"fish", "fish shell"}, {"powershell", "PowerShell 5 or later"}}},
		{name: "man", synopsis: "", summary: "print the manual page (roff, section 1)",
			help: manHelp, flags: flagsOf(manFlags), run: runMan},
		{name: "config", synopsis: "init|show|path|migrate [flags]", summary: "manage the config file",
			help: configHelp, flags: flagsOf(configFlags), run: runConfig,
			actions: []action{
				{"init", "write a commented config file with every default (--force: overwrite)"},
				{"show", "print the effective configuration (file, then PB_* environment), secrets masked"},
				{"path", "print where the config file is (or would be)"},
				{"migrate", "rewrite a PacketBuddy 1.x config file in pb's format; the old one is kept as config.toml.1x"},
			}},
		{name: "service", synopsis: "install|uninstall|start|stop|restart|status [flags]", summary: "run pb serve in the background",
			help: serviceHelp, flags: flagsOf(serviceFlags), run: runService,
			actions: []action{
				{"install", "write the definition, enable it and start pb (again)"},
				{"uninstall", "stop pb and remove the definition; the data stays unless --purge"},
				{"start", "start the installed service"},
				{"stop", "stop the installed service"},
				{"restart", "stop and start the installed service"},
				{"status", "installed? running? since when? where are the logs?"},
			}},
		{name: "sync", synopsis: "status|now|verify [flags]", summary: "fleet sync to PostgreSQL",
			help: syncHelp, flags: flagsOf(syncFlags), run: runSync,
			actions: []action{
				{"status", "sync on or off, the last success and error, buckets waiting, the remote schema (the default)"},
				{"now", "sync at once, through the running daemon or directly (--all: send everything again)"},
				{"verify", "compare this device's history with the sync database, month by month"},
			}},
		{name: "pair", synopsis: "[--url URL] [flags]", summary: "pair a phone: a QR code and a short code for the dashboard",
			help: pairHelp, flags: flagsOf(pairFlags), run: runPair},
		{name: "sessions", synopsis: "[list | revoke ID | revoke --all] [flags]", summary: "paired browsers: list or revoke",
			help: sessionsHelp, flags: flagsOf(sessionsFlags), run: runSessions,
			actions: []action{
				{"list", "the paired browsers (the default)"},
				{"revoke", "refuse a session (ID) or every one (--all) from now on"},
			}},
		{name: "devices", synopsis: "[flags]", summary: "the fleet's devices and their traffic (needs sync)",
			help: devicesHelp, flags: flagsOf(devicesFlags), run: runDevices},
		{name: "update", synopsis: "[--check | --rollback] [--url URL]", summary: "check for, install or roll back a signed release",
			help: updateHelp, flags: flagsOf(updateFlags), run: runUpdate},
		{name: "version", synopsis: "[--json]", summary: "print the version",
			help: versionHelp, flags: flagsOf(versionFlags), run: runVersion},
	}
}

// lookupCommand finds a command by name.
func lookupCommand(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// flagValues is the fixed set of values flag name takes on c, or nil.
func (c command) flagValues(name string) []string {
	if v, ok := c.values[name]; ok {
		return v
	}
	switch name {
	case "color":
		return colorModes
	case "units":
		return unitBases
	}
	return nil
}

// describeFlags builds c's FlagSet for help, completion and the man page:
// nothing is parsed and nothing is printed.
func (c command) describeFlags() *flag.FlagSet {
	return c.flags(Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }})
}

// actionNames lists c's action names.
func (c command) actionNames() []string {
	var n []string
	for _, a := range c.actions {
		n = append(n, a.name)
	}
	return n
}

// commandNames lists every command name, in table order.
func commandNames() []string {
	var n []string
	for _, c := range commands() {
		n = append(n, c.name)
	}
	return n
}
