package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:7373", "http://localhost:1", "http://[::1]:80", "http://127.0.0.5"} {
		if _, err := checkURL(ok); err != nil {
			t.Errorf("%s refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://192.168.1.1:7373", "http://10.0.0.1", "https://127.0.0.1", "127.0.0.1:7373", "http://8.8.8.8", "ftp://localhost"} {
		if _, err := checkURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestRun loads a local test server briefly and checks the report.
func TestRun(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // forces chunked encoding
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	var out, errOut bytes.Buffer
	err := run([]string{"-url", srv.URL, "-c", "2", "-d", "200ms", "-warmup", "0", "-n", "500", "/fixed", "/chunked"}, &out, &errOut)
	if err != nil {
		t.Fatalf("run: %v\n%s", err, errOut.String())
	}
	for _, p := range []string{"/fixed", "/chunked"} {
		found := false
		for _, line := range strings.Split(out.String(), "\n") {
			f := strings.Fields(line)
			if len(f) == 10 && f[0] == p && f[1] != "0" && f[9] == "0" {
				found = true
			}
		}
		if !found {
			t.Errorf("no clean result for %s in:\n%s", p, out.String())
		}
	}
	if err := run([]string{"-url", "http://10.1.2.3:80", "/x"}, &out, &errOut); err == nil {
		t.Error("non-loopback target accepted")
	}
	if err := run([]string{"-d", "1h"}, &out, &errOut); err == nil {
		t.Error("unbounded duration accepted")
	}
}
