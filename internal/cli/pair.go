package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"github.com/packetbuddy/pb/internal/config"
)

const pairHelp = `
Pair a phone (or any browser) with the running pb serve: prints a QR code,
the address it holds and a short code, valid for [api] pair_code_ttl
(default 5 minutes) and usable once. Open the address on the phone (scan the
code with its camera) or open /dashboard/pair.html there and type the code;
the phone then holds a session that shows the dashboard, the fleet page and
the live speed, until it is revoked (pb sessions revoke) or 90 days pass.

pb must be reachable from the phone: [api] host set to an address of this
machine on your network (it then demands the API token or a session from
every other device), or a reverse proxy with [api] require_token = true.
--url gives the address the phone should use when pb cannot know it (a
reverse proxy's or a private network's name).

Examples:
  pb pair
  pb pair --url https://pb.tail1234.ts.net`

// pairOpts are pb pair's flags.
type pairOpts struct {
	common commonFlags
	asJSON bool
	base   string
	invert bool
}

// pairFlags defines pb pair's flags.
func pairFlags(env Env) (*flag.FlagSet, *pairOpts) {
	o := new(pairOpts)
	fs := newFlagSet("pair", env, &o.common)
	fs.BoolVar(&o.asJSON, "json", false, "print JSON (code, url, expiry) instead of the QR code")
	fs.StringVar(&o.base, "url", "", "the address the phone opens pb at, e.g. https://pb.home.arpa (default: what pb listens on)")
	fs.BoolVar(&o.invert, "invert", false, "draw the QR code for a terminal with a light background")
	return fs, o
}

// pairAnswer is POST /api/pair's answer.
type pairAnswer struct {
	Code      string    `json:"code"`
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
	ExpiresIn int       `json:"expires_in_seconds"`
}

func runPair(ctx context.Context, args []string, env Env) error {
	fs, o := pairFlags(env)
	if err := parse(fs, args, "pair"); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("pair", "unexpected argument %q", fs.Arg(0))
	}
	var base *url.URL
	if o.base != "" {
		u, err := url.Parse(o.base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return usagef("pair", "--url must be an address such as https://pb.home.arpa or http://192.168.1.20:7373")
		}
		base = u
	}
	cfg, err := o.common.load(env)
	if err != nil {
		return err
	}
	c := newDaemonClient(cfg)
	var a pairAnswer
	if err := c.postJSON(ctx, "/api/pair", http.StatusCreated, &a); err != nil {
		return err
	}
	if base != nil {
		a.URL = strings.TrimRight(base.String(), "/") + "/dashboard/pair.html#" + a.Code
	}
	if o.asJSON {
		return writeJSON(env.Stdout, a)
	}
	q, err := qrcode.New(a.URL, qrcode.Low)
	if err != nil {
		return err
	}
	fmt.Fprint(env.Stdout, q.ToSmallString(o.invert))
	fmt.Fprintf(env.Stdout, "\nOpen on the phone:  %s\nor type the code:   %s  (at %s)\nValid until %s, once.\n",
		a.URL, a.Code, strings.SplitN(a.URL, "#", 2)[0], a.ExpiresAt.Format("15:04:05"))
	return nil
}

// postJSON sends an empty POST to path and decodes a want-status answer
// into v.
func (c *daemonClient) postJSON(ctx context.Context, path string, want int, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, nil)
	if err != nil {
		return err
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.notRunning()
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		return apiError(resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("the daemon at %s answered %s with something that is not its JSON: %w", c.addr, path, err)
	}
	return nil
}

const sessionsHelp = `
List the browsers paired with pb pair, or revoke them. A revoked session is
refused from that moment, its open live stream included; the phone has to
be paired again. The dashboard on this computer lists and revokes them too.

Examples:
  pb sessions
  pb sessions revoke 3f9a1c2b7d04
  pb sessions revoke --all`

// sessionsOpts are pb sessions' flags.
type sessionsOpts struct {
	common      commonFlags
	asJSON, all bool
}

// sessionsFlags defines pb sessions' flags.
func sessionsFlags(env Env) (*flag.FlagSet, *sessionsOpts) {
	o := new(sessionsOpts)
	fs := newFlagSet("sessions", env, &o.common)
	fs.BoolVar(&o.asJSON, "json", false, "print JSON")
	fs.BoolVar(&o.all, "all", false, "with revoke: every session")
	return fs, o
}

// sessionView is one session of GET /api/sessions.
type sessionView struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Created  time.Time `json:"created_at"`
	LastSeen time.Time `json:"last_seen_at"`
	Expires  time.Time `json:"expires_at"`
}

func runSessions(ctx context.Context, args []string, env Env) error {
	fs, o := sessionsFlags(env)
	// The subcommand and the id may come before the flags or after them.
	var rest []string
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
		if sub == "revoke" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
			rest, args = append(rest, args[0]), args[1:]
		}
	}
	if err := parse(fs, args, "sessions"); err != nil {
		return err
	}
	rest = append(rest, fs.Args()...)
	switch {
	case sub == "" || sub == "list":
		if len(rest) > 0 || o.all {
			return usagef("sessions", "pb sessions lists; to revoke: pb sessions revoke ID or pb sessions revoke --all")
		}
	case sub == "revoke":
		if o.all == (len(rest) == 1) || len(rest) > 1 {
			return usagef("sessions", "name one session to revoke (pb sessions lists their ids), or --all")
		}
	default:
		return usagef("sessions", "unknown subcommand %q: use list or revoke%s", sub, actionHint("sessions", sub))
	}
	cfg, err := o.common.load(env)
	if err != nil {
		return err
	}
	c := newDaemonClient(cfg)
	if sub == "revoke" {
		return revokeSessions(ctx, c, env, o.asJSON, o.all, rest)
	}
	return listSessions(ctx, c, cfg, env, o.asJSON)
}

func listSessions(ctx context.Context, c *daemonClient, cfg config.Config, env Env, asJSON bool) error {
	var out struct {
		Sessions []sessionView `json:"sessions"`
	}
	if err := c.getJSON(ctx, "/api/sessions", 10*time.Second, &out); err != nil {
		return err
	}
	if asJSON {
		return writeJSON(env.Stdout, out)
	}
	if len(out.Sessions) == 0 {
		fmt.Fprintln(env.Stdout, "No paired browsers; pb pair pairs one.")
		return nil
	}
	loc, err := cfg.Location()
	if err != nil {
		loc = time.Local
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tBROWSER\tPAIRED\tLAST USED\tEXPIRES")
	const layout = "2006-01-02 15:04"
	for _, s := range out.Sessions {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.ID, s.Name, s.Created.In(loc).Format(layout), s.LastSeen.In(loc).Format(layout), s.Expires.In(loc).Format("2006-01-02"))
	}
	return tw.Flush()
}

func revokeSessions(ctx context.Context, c *daemonClient, env Env, asJSON, all bool, ids []string) error {
	path := "/api/sessions/revoke?all=true"
	if !all {
		path = "/api/sessions/revoke?id=" + url.QueryEscape(ids[0])
	}
	var out struct {
		Revoked []string `json:"revoked"`
	}
	if err := c.postJSON(ctx, path, http.StatusOK, &out); err != nil {
		return err
	}
	if asJSON {
		return writeJSON(env.Stdout, out)
	}
	switch len(out.Revoked) {
	case 0:
		fmt.Fprintln(env.Stdout, "There were no paired browsers.")
	case 1:
		fmt.Fprintf(env.Stdout, "Revoked session %s.\n", out.Revoked[0])
	default:
		fmt.Fprintf(env.Stdout, "Revoked %d sessions.\n", len(out.Revoked))
	}
	return nil
}
