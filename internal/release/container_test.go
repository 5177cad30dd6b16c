package release

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestContainerfilesShareTheFinalStage checks that the image built from a
// host-built pb (Containerfile.prebuilt, what "make image" uses) has the
// same final stage as the one with the Go build stage.
func TestContainerfilesShareTheFinalStage(t *testing.T) {
	final := func(name string) string {
		b, err := os.ReadFile(filepath.Join(repoRoot, name))
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		i := strings.LastIndex(s, "\nFROM scratch\n")
		if i < 0 {
			t.Fatalf("%s has no final FROM scratch stage", name)
		}
		return s[i:]
	}
	built, prebuilt := final("Containerfile"), final("Containerfile.prebuilt")
	if built != prebuilt {
		t.Errorf("the final stages differ:\n--- Containerfile ---%s\n--- Containerfile.prebuilt ---%s", built, prebuilt)
	}
	for _, want := range []string{"USER 65532:65532", "VOLUME /data", "ENV PB_DATA_DIR=/data", `ENTRYPOINT ["/usr/bin/pb"]`} {
		if !strings.Contains(built, want) {
			t.Errorf("the final stage lacks %q", want)
		}
	}
}
