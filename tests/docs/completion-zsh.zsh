# SPDX-License-Identifier: MIT
# Run by test-completion-zsh as `zsh -f completion-zsh.zsh COMPLETIONS_DIR`:
# reads command lines on stdin and, for each, types it into an interactive
# zsh -f (compinit, COMPLETIONS_DIR first on fpath) on a pseudo-terminal,
# presses Tab, and prints the words the completion system was given, on one
# line. compadd is wrapped to report each match it adds; Tab runs
# complete-word and then prints a marker where the list ends.
zmodload zsh/zpty || exit 1
completions=$1

zpty vk zsh -f -i || exit 1
zpty -w vk "PS1='' PROMPT='' RPROMPT=''; unsetopt zle_bracketed_paste 2>/dev/null"
zpty -w vk "fpath=(${(q)completions} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w vk "zstyle ':completion:*' list-prompt ''; zstyle ':completion:*' menu no; LISTMAX=10000"
# Matches added for real (not -O/-A/-D queries) are printed as VK-MATCH:<word>.
zpty -w vk 'compadd() { local -a vk_m; if (( ${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi; builtin compadd -O vk_m "$@"; builtin compadd "$@"; local r=$?; local w; for w in $vk_m; do print -r -- "VK-MATCH:$w"; done; return r; }'
# Tab completes, then marks the end of the list.
zpty -w vk 'vk-complete() { zle complete-word; print -r -- "VK-END-OF-COMPLETION"; }; zle -N vk-complete; bindkey "^I" vk-complete'
zpty -w vk 'print VK-READY'
zpty -r vk out '*VK-READY*' || exit 1

while IFS= read -r line; do
	# Tab completes; then ^U empties the line for the next case.
	zpty -w -n vk "$line"$'\t'
	zpty -r vk out '*VK-END-OF-COMPLETION*' || exit 1
	zpty -w -n vk $'\C-u'
	words=(${(f)"$(print -r -- "${out//$'\r'/}" | sed -n 's/^.*VK-MATCH://p')"})
	print -r -- "${(j: :)words}"
done
zpty -d vk
