package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/packetbuddy/pb/internal/query"
	"github.com/packetbuddy/pb/internal/store"
	"github.com/packetbuddy/pb/internal/usage"
)

const networksHelp = `
Show traffic per network, largest first: today (the default), this month
("pb networks month"), or the days from --from to --to. A network is
recognised by its default gateway's hardware address and, where the OS
gives it without extra rights, the Wi-Fi SSID; "SSID not available" means
the gateway alone identifies it. "unknown network" is traffic on
interfaces with no identifiable network (and everything counted before
pb knew networks), so the networks add up to the interfaces' total.

rename OLD NEW names a network, merge FROM INTO makes two networks one
(history and later visits of FROM count as INTO), and metered NAME on|off
marks a network metered (data plans and alerts use it). With the daemon
running, edits go through it. --json prints what GET /api/networks
answers.`

type networksOpts struct {
	dateRangeOpts
	network string
}

// networksFlags defines pb networks's flags.
func networksFlags(env Env) (*flag.FlagSet, *networksOpts) {
	o := new(networksOpts)
	fs := newFigureFlagSet("networks", env, &o.queryFlags)
	dayFlags(fs, &o.dateRangeOpts)
	fs.StringVar(&o.network, "network", "", "only the network `NAME`")
	return fs, o
}

func runNetworks(ctx context.Context, args []string, env Env) error {
	fs, o := networksFlags(env)
	pos, err := parseArgs(fs, args, "networks", 3)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		switch pos[0] {
		case "rename", "merge", "metered":
			return editNetwork(ctx, o, pos, env)
		}
	}
	if len(pos) > 1 {
		return usagef("networks", "too many arguments: %q", pos[1:])
	}
	f, t, err := todayOrMonth("networks", pos, &o.dateRangeOpts, env, ", rename, merge or metered")
	if err != nil {
		return err
	}
	q, err := openQuery(ctx, &o.queryFlags, env)
	if err != nil {
		return err
	}
	defer q.Close()
	var names []string
	if o.network != "" {
		names = []string{o.network}
	}
	n, err := q.eng.Networks(ctx, f, t, usage.Filter{Ifaces: o.ifaces}, names)
	var unknown *query.UnknownNetworkError
	if errors.As(err, &unknown) {
		return usagef("networks", "%v", err)
	}
	if err != nil {
		return err
	}
	if o.json {
		return q.emit(q.enc.Networks(n, o.ifaces, o.network, daemonAttachments(ctx, q)))
	}
	c := useColor(o.color, env)
	span := f.String()
	if t != f {
		span += " to " + t.String()
	}
	fmt.Fprintf(env.Stdout, "%s\n\n", paint(c, ansiBold, fmt.Sprintf("Networks, %s (%s)", span, q.loc)))
	if len(n.Networks) == 0 {
		fmt.Fprintln(env.Stdout, "No network recorded yet (pb serve identifies them by their gateway).")
		return nil
	}
	t2 := newTable("#", "Network", "SSID", "Metered", "Download", "Upload", "Total").alignRight(0, 4, 5, 6)
	noSSID := false
	for i, x := range n.Networks {
		metered := ""
		if x.Metered {
			metered = "yes"
		}
		t2.add(strconv.Itoa(i+1), cut(x.Name, 26), ssidCell(x.Network, &noSSID), metered, q.bytes(x.Rx), q.bytes(x.Tx), q.bytes(x.Total()))
	}
	t2.add("", "Total", "", "", q.bytes(n.Total.Rx), q.bytes(n.Total.Tx), q.bytes(n.Total.Total()))
	if err := t2.write(env.Stdout, c); err != nil {
		return err
	}
	if noSSID {
		fmt.Fprintln(env.Stdout, "\nSSID not available here: those networks are told apart by their gateway alone.")
	}
	return nil
}

// ssidCell is a network's SSID column; it notes when one was not readable.
func ssidCell(n usage.Network, noSSID *bool) string {
	switch {
	case n.ID == 0:
		return ""
	case n.SSIDStatus == usage.SSIDRead:
		return cut(n.SSID, 16)
	case n.SSIDStatus == usage.SSIDWired:
		return "(wired)"
	}
	*noSSID = true
	return "n/a"
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// daemonAttachments asks a running daemon which network each interface is
// on now (nil without one), so --json carries what /api/networks does.
func daemonAttachments(ctx context.Context, q *session) map[string]usage.Attachment {
	if !q.daemon {
		return nil
	}
	var resp struct {
		Attached []struct {
			Interface  string `json:"interface"`
			Gateway    string `json:"gateway"`
			GatewayMAC string `json:"gateway_mac"`
			SSID       string `json:"ssid"`
			SSIDStatus string `json:"ssid_status"`
		} `json:"attached"`
	}
	if err := newDaemonClient(q.cfg).getJSON(ctx, "/api/networks", 5*time.Second, &resp); err != nil {
		return nil
	}
	out := map[string]usage.Attachment{}
	for _, a := range resp.Attached {
		status := a.SSIDStatus
		if status == "read" {
			status = usage.SSIDRead
		}
		out[a.Interface] = usage.Attachment{Gateway: a.Gateway, GatewayMAC: a.GatewayMAC, SSID: a.SSID, SSIDStatus: status}
	}
	return out
}

// editNetwork runs rename, merge or metered: through the daemon when one
// runs (it is the database's one writer), else on the database directly.
func editNetwork(ctx context.Context, o *networksOpts, pos []string, env Env) error {
	want := map[string]int{"rename": 3, "merge": 3, "metered": 3}[pos[0]]
	if len(pos) != want {
		return usagef("networks", "use: pb networks rename OLD NEW | merge FROM INTO | metered NAME on|off")
	}
	var on bool
	v := url.Values{"network": {pos[1]}}
	switch pos[0] {
	case "rename":
		v.Set("name", pos[2])
	case "merge":
		v.Set("into", pos[2])
	case "metered":
		switch pos[2] {
		case "on":
			on = true
		case "off":
		default:
			return usagef("networks", "metered takes on or off, not %q", pos[2])
		}
		v.Set("metered", pos[2])
	}
	cfg, err := o.load(env)
	if err != nil {
		return err
	}
	msg, err := editViaDaemon(ctx, newDaemonClient(cfg), pos[0], v)
	if errors.Is(err, errNoDaemon) {
		path := filepath.Join(cfg.DataDir, dbFile)
		if _, err := os.Stat(path); err != nil {
			return errNoDatabase(path)
		}
		st, err := store.Open(ctx, path, store.Options{Now: env.now})
		if err != nil {
			return dbError(path, err)
		}
		defer st.Close()
		switch pos[0] {
		case "rename":
			err = st.RenameNetwork(ctx, pos[1], pos[2])
			msg = fmt.Sprintf("Renamed %q to %q; its history goes with it.", pos[1], pos[2])
		case "merge":
			err = st.MergeNetworks(ctx, pos[1], pos[2])
			msg = fmt.Sprintf("Merged %q into %q; their history is one network's now.", pos[1], pos[2])
		case "metered":
			err = st.SetNetworkMetered(ctx, pos[1], on)
			msg = fmt.Sprintf("%q is metered now.", pos[1])
			if !on {
				msg = fmt.Sprintf("%q is not metered now.", pos[1])
			}
		}
		if err != nil {
			return err
		}
	} else if err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, msg)
	return nil
}

func editViaDaemon(ctx context.Context, c *daemonClient, action string, v url.Values) (string, error) {
	resp, err := c.post(ctx, "/api/networks/"+action+"?"+v.Encode(), 30*time.Second)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", apiError(resp)
	}
	var r struct {
		Message string `json:"message"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&r); err != nil {
		return "", fmt.Errorf("the daemon's answer is unreadable: %w", err)
	}
	return r.Message, nil
}
