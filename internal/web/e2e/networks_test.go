package e2e

import (
	"testing"
	"time"

	"github.com/packetbuddy/pb/internal/usage"
)

// TestDashboardNetworks: the networks panel lists /api/networks's
// networks in its order, shows the SSID where it was read, and says so
// where it was not.
func TestDashboardNetworks(t *testing.T) {
	e := newEnv(t)
	ctx, p, base := e.ctx, e.p, e.srv.base
	at := e.now.Add(-2 * time.Minute).UTC()
	if err := e.st.Flush(ctx, usage.Batch{Networks: []usage.NetworkDelta{
		{Network: usage.Attachment{Gateway: "192.168.1.1", GatewayMAC: "02:aa:00:00:00:01", SSID: "home", SSIDStatus: usage.SSIDRead}, Iface: "wlan0", MAC: "02:00:00:00:00:02", Bucket: at, Totals: usage.Totals{Rx: 3_000_000, Tx: 100_000}},
		{Network: usage.Attachment{Gateway: "172.20.10.1", GatewayMAC: "02:aa:00:00:00:02", SSIDStatus: usage.SSIDNotAvailable}, Iface: "eth0", MAC: "02:00:00:00:00:01", Bucket: at, Totals: usage.Totals{Rx: 5_000_000, Tx: 200_000}},
	}}); err != nil {
		t.Fatal(err)
	}
	var api struct {
		Networks []struct {
			Name string `json:"name"`
		} `json:"networks"`
	}
	today := usage.DateOf(time.Now().In(e.loc))
	getJSON(t, base+"/api/networks?from="+usage.Date{Year: today.Year, Month: today.Month, Day: 1}.String()+"&to="+today.String(), &api)
	if len(api.Networks) != 3 {
		t.Fatalf("/api/networks lists %d networks, want the two and the unknown network", len(api.Networks))
	}

	p.navigate(ctx, base+"/dashboard/")
	p.waitTrue(ctx, "the networks panel", `!document.getElementById('networks').hidden && document.querySelectorAll('#network-rows tr').length === 3`)
	var got struct {
		Names  []string
		SSIDs  map[string]string
		NoSSID bool
		Now    string
	}
	p.mustEval(ctx, `(() => {
		const rows = [...document.querySelectorAll('#network-rows tr')];
		return {
			Names: rows.map((r) => r.dataset.network),
			SSIDs: Object.fromEntries(rows.map((r) => [r.dataset.network, r.querySelector('.net-ssid').textContent])),
			NoSSID: !document.getElementById('networks-ssid').hidden,
			Now: document.getElementById('networks-now').textContent,
		};
	})()`, &got)
	for i, n := range api.Networks {
		if i >= len(got.Names) || got.Names[i] != n.Name {
			t.Errorf("row %d is %v, want %q (the API's order)", i, got.Names, n.Name)
		}
	}
	if got.SSIDs["home"] != "home" || got.SSIDs["gateway 02:aa:00:00:00:02"] != "SSID not available" || got.SSIDs[usage.UnknownNetwork] != "" {
		t.Errorf("SSID cells %v", got.SSIDs)
	}
	if !got.NoSSID {
		t.Error("the panel does not say that the SSID is not available")
	}
	if got.Now != "Now: no interface is on an identifiable network." {
		t.Errorf("now line %q", got.Now)
	}
	e.checkClean(t)
}
