package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompletion(t *testing.T) {
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, errs := runPB(t, nil, "completion", sh)
		if code != 0 {
			t.Fatalf("%s: exit %d %s", sh, code, errs)
		}
		for _, want := range []string{"today", "export", "import", "json"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s completion lacks %q", sh, want)
			}
		}
	}
	if code, _, _ := runPB(t, nil, "completion", "tcsh"); code != 2 {
		t.Fatalf("unknown shell: exit %d", code)
	}
	// The bash script is valid bash and completes a command and a flag.
	if _, err := exec.LookPath("bash"); err != nil {
		return
	}
	_, script, _ := runPB(t, nil, "completion", "bash")
	f := filepath.Join(t.TempDir(), "pb.bash")
	os.WriteFile(f, []byte(script), 0o600)
	out, err := exec.Command("bash", "-c", `source `+f+`
COMP_WORDS=(pb mo); COMP_CWORD=1; _pb; echo "${COMPREPLY[@]}"
COMP_WORDS=(pb export --fo); COMP_CWORD=2; _pb; echo "${COMPREPLY[@]}"
COMP_WORDS=(pb export --format h); COMP_CWORD=3; _pb; echo "${COMPREPLY[@]}"`).CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	if got := string(out); got != "month\n--format\nhtml\n" {
		t.Fatalf("bash completion gave %q", got)
	}
}
