package release

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/packetbuddy/pb/internal/golden"
)

// releaseSums is a SHA256SUMS as release.sh writes it, each archive's sum
// made from its name so every line differs.
func releaseSums(version string) string {
	var b strings.Builder
	for _, t := range []string{"darwin_amd64.tar.gz", "darwin_arm64.tar.gz", "linux_amd64.tar.gz", "linux_arm64.tar.gz", "windows_amd64.zip", "windows_arm64.zip", "linux_amd64.deb", "linux_amd64.rpm"} {
		name := "pb_" + version + "_" + t
		sum := sha256.Sum256([]byte(name))
		fmt.Fprintf(&b, "%s  %s\n", hex.EncodeToString(sum[:]), name)
	}
	return b.String()
}

func TestManifestsGolden(t *testing.T) {
	sums, err := ParseSums(strings.NewReader(releaseSums("1.4.2")))
	if err != nil {
		t.Fatal(err)
	}
	brew, err := Homebrew("1.4.2", sums)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "pb.rb.golden", brew)
	scoop, err := Scoop("1.4.2", sums)
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, "pb.json.golden", scoop)

	// Every archive's own sum sits next to its own URL.
	for name, sum := range sums {
		if strings.HasSuffix(name, ".deb") || strings.HasSuffix(name, ".rpm") {
			continue
		}
		m := brew
		if strings.Contains(name, "windows") {
			m = scoop
		}
		url := DownloadBase + "v1.4.2/" + name
		i := strings.Index(string(m), url)
		if i < 0 {
			t.Errorf("%s missing from its manifest", url)
			continue
		}
		if j := strings.Index(string(m[i:]), sum); j < 0 || j > len(url)+40 {
			t.Errorf("the sum of %s is not right after its URL", name)
		}
	}
	var v map[string]any
	if err := json.Unmarshal(scoop, &v); err != nil {
		t.Fatalf("the Scoop manifest is not JSON: %v", err)
	}
}

func TestManifestsNeedEveryArchive(t *testing.T) {
	full := releaseSums("2.0.0")
	for _, drop := range []string{"darwin_arm64.tar.gz", "linux_amd64.tar.gz", "windows_arm64.zip"} {
		var kept []string
		for _, l := range strings.Split(strings.TrimSpace(full), "\n") {
			if !strings.HasSuffix(l, drop) {
				kept = append(kept, l)
			}
		}
		sums, err := ParseSums(strings.NewReader(strings.Join(kept, "\n")))
		if err != nil {
			t.Fatal(err)
		}
		_, errBrew := Homebrew("2.0.0", sums)
		_, errScoop := Scoop("2.0.0", sums)
		if strings.Contains(drop, "windows") {
			if errScoop == nil || !strings.Contains(errScoop.Error(), drop) {
				t.Errorf("without %s the Scoop manifest says %v", drop, errScoop)
			}
		} else if errBrew == nil || !strings.Contains(errBrew.Error(), drop) {
			t.Errorf("without %s the formula says %v", drop, errBrew)
		}
	}
}

func TestParseSums(t *testing.T) {
	h := strings.Repeat("ab", 32)
	sums, err := ParseSums(strings.NewReader(h + "  a.tar.gz\n" + h + " *b.zip\n\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(sums) != 2 || sums["a.tar.gz"] != h || sums["b.zip"] != h {
		t.Errorf("ParseSums = %v", sums)
	}
	for _, bad := range []string{"xyz  a.tar.gz\n", h + "\n", strings.ToUpper(h) + "  a\n"} {
		if _, err := ParseSums(strings.NewReader(bad)); err == nil {
			t.Errorf("ParseSums(%q) accepted it", bad)
		}
	}
}
