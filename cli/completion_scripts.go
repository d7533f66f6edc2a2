package cli

// completionScripts hand the words typed so far to `pbiwb __complete`,
// which prints the candidates one per line; when it prints none, the shell
// completes file names (an --input PATH, a --home DIR).
var completionScripts = map[string]string{
	"bash": `# bash completion for pbiwb: source <(pbiwb completion bash)
_pbiwb() {
    local IFS=$'\n' cur="${COMP_WORDS[COMP_CWORD]}" c
    local -a cands
    cands=($(pbiwb __complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)) || return
    COMPREPLY=()
    for c in "${cands[@]}"; do
        # A name with spaces ("Sales Analytics") is inserted quoted, unless
        # the word was begun with a quote.
        if [[ $cur == [\"\']* ]]; then COMPREPLY+=("$c"); else COMPREPLY+=("$(printf '%q' "$c")"); fi
    done
}
complete -o default -F _pbiwb pbiwb
`,
	"zsh": `#compdef pbiwb
# zsh completion for pbiwb: source <(pbiwb completion zsh), after compinit
_pbiwb() {
    local -a cands
    cands=("${(@f)$(pbiwb __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    cands=(${cands:#})
    if (( ${#cands} == 0 )); then
        _files
        return
    fi
    compadd -- "${cands[@]}"
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
    _pbiwb "$@"
else
    compdef _pbiwb pbiwb
fi
`,
	"fish": `# fish completion for pbiwb: pbiwb completion fish > ~/.config/fish/completions/pbiwb.fish
function __pbiwb_complete
    set -l words (commandline -opc)[2..-1] (commandline -ct)
    pbiwb __complete $words 2>/dev/null
end
complete -c pbiwb -a '(__pbiwb_complete)'
`,
	"powershell": `# PowerShell completion for pbiwb: pbiwb completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName pbiwb, pbiwb.exe -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = @($commandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() })
    if ($wordToComplete -eq '') { $words += '""' }
    & pbiwb __complete @words 2>$null | ForEach-Object {
        $text = $_
        if ($text -match '\s') { $text = "'" + ($text -replace "'", "''") + "'" }
        [System.Management.Automation.CompletionResult]::new($text, $_, 'ParameterValue', $_)
    }
}
`,
}
