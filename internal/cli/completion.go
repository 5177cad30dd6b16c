package cli

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

const completionHelp = `
Print a shell completion script for bash, zsh, fish or powershell. Load it:

  bash        source <(pb completion bash)     (or save it under
              /etc/bash_completion.d/pb)
  zsh         pb completion zsh > "${fpath[1]}/_pb"
  fish        pb completion fish > ~/.config/fish/completions/pb.fish
  powershell  pb completion powershell | Out-String | Invoke-Expression

It completes command names, each command's flags, and the values of
--format, --from (for import) and --color.`

var flagLine = regexp.MustCompile(`^\s+-([a-zA-Z][\w-]*)`)

// commandFlags lists each command's flags, read from its --help.
func commandFlags() map[string][]string {
	out := map[string][]string{}
	for _, c := range commands() {
		if c.name == "completion" {
			out[c.name] = []string{"config", "data-dir"}
			continue
		}
		var b bytes.Buffer
		_ = c.run(context.Background(), []string{"--help"}, Env{Stdout: &b, Stderr: &b, Getenv: func(string) string { return "" }})
		seen := map[string]bool{}
		for _, l := range strings.Split(b.String(), "\n") {
			if m := flagLine.FindStringSubmatch(l); m != nil && !seen[m[1]] {
				seen[m[1]] = true
				out[c.name] = append(out[c.name], m[1])
			}
		}
		sort.Strings(out[c.name])
	}
	return out
}

func runCompletion(_ context.Context, args []string, env Env) error {
	fs := newFlagSet("completion", "bash|zsh|fish|powershell", completionHelp, env, nil)
	pos, err := parseArgs(fs, args, "completion", 1)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("completion", "name one shell: bash, zsh, fish or powershell")
	}
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	flags := commandFlags()
	dash := func(fl []string) string {
		var s []string
		for _, f := range fl {
			s = append(s, "--"+f)
		}
		return strings.Join(s, " ")
	}
	var b strings.Builder
	switch pos[0] {
	case "bash":
		b.WriteString("# bash completion for pb\n_pb() {\n  local cur prev cmd\n  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n  prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n  cmd=\"${COMP_WORDS[1]}\"\n")
		b.WriteString("  if [ \"$COMP_CWORD\" -eq 1 ]; then\n    COMPREPLY=($(compgen -W \"" + strings.Join(names, " ") + " help\" -- \"$cur\")); return\n  fi\n")
		b.WriteString("  case \"$prev\" in\n    --format) [ \"$cmd\" = export ] && COMPREPLY=($(compgen -W \"json csv llm html md\" -- \"$cur\")); return;;\n    --color) COMPREPLY=($(compgen -W \"auto always never\" -- \"$cur\")); return;;\n    --from) [ \"$cmd\" = import ] && { COMPREPLY=($(compgen -W \"packetbuddy vnstat\" -- \"$cur\")); return; };;\n    --data-dir) COMPREPLY=($(compgen -d -- \"$cur\")); return;;\n    --config|--output|-o) COMPREPLY=($(compgen -f -- \"$cur\")); return;;\n  esac\n")
		b.WriteString("  case \"$cmd\" in\n")
		for _, n := range names {
			fmt.Fprintf(&b, "    %s) COMPREPLY=($(compgen -W \"%s\" -- \"$cur\"));;\n", n, dash(flags[n]))
		}
		b.WriteString("  esac\n}\ncomplete -o default -F _pb pb\n")
	case "zsh":
		b.WriteString("#compdef pb\n# zsh completion for pb\n_pb() {\n  local -a cmds\n  cmds=(\n")
		for _, c := range commands() {
			fmt.Fprintf(&b, "    '%s:%s'\n", c.name, strings.ReplaceAll(c.summary, "'", "'\\''"))
		}
		b.WriteString("  )\n  if (( CURRENT == 2 )); then\n    _describe 'command' cmds\n    return\n  fi\n  case ${words[2]} in\n")
		for _, n := range names {
			fmt.Fprintf(&b, "    %s) compadd -- %s;;\n", n, dash(flags[n]))
		}
		b.WriteString("  esac\n}\ncompdef _pb pb\n")
	case "fish":
		b.WriteString("# fish completion for pb\ncomplete -c pb -f\n")
		for _, c := range commands() {
			fmt.Fprintf(&b, "complete -c pb -n '__fish_use_subcommand' -a %s -d '%s'\n", c.name, strings.ReplaceAll(c.summary, "'", "\\'"))
		}
		for _, n := range names {
			for _, f := range flags[n] {
				fmt.Fprintf(&b, "complete -c pb -n '__fish_seen_subcommand_from %s' -l %s\n", n, f)
			}
		}
		b.WriteString("complete -c pb -n '__fish_seen_subcommand_from export' -l format -xa 'json csv llm html md'\n")
		b.WriteString("complete -c pb -n '__fish_seen_subcommand_from import' -l from -xa 'packetbuddy vnstat'\n")
	case "powershell":
		b.WriteString("# PowerShell completion for pb\n$pbFlags = @{\n")
		for _, n := range names {
			fmt.Fprintf(&b, "  '%s' = @(%s)\n", n, quoteList(flags[n]))
		}
		b.WriteString("}\nRegister-ArgumentCompleter -Native -CommandName pb -ScriptBlock {\n  param($wordToComplete, $commandAst, $cursorPosition)\n  $words = $commandAst.CommandElements | ForEach-Object { $_.ToString() }\n")
		fmt.Fprintf(&b, "  if ($words.Count -le 2 -and -not $wordToComplete.StartsWith('-')) { $cands = @(%s) }\n", quoteList(names))
		b.WriteString("  else { $cands = $pbFlags[$words[1]] | ForEach-Object { '--' + $_ } }\n  $cands | Where-Object { $_ -like \"$wordToComplete*\" } | ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }\n}\n")
	default:
		return usagef("completion", "unknown shell %q: use bash, zsh, fish or powershell", pos[0])
	}
	_, err = fmt.Fprint(env.Stdout, b.String())
	return err
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = "'" + s + "'"
	}
	return strings.Join(q, ", ")
}
