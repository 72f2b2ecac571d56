# Sandkasten command shell set-up, read through BASH_ENV before the shell reads
# its first command from standard input. The daemon sends one line per command:
#   . /run/sandkasten/c.N </dev/null >/run/sandkasten/o.N 2>/run/sandkasten/e.N; __sk_done N $?
# and for a background command, which starts as a subshell with the shell's state:
#   { ( . /run/sandkasten/c.N ); __sk_end N $?; } </dev/null >o.N 2>e.N & __sk_bg N $!
# Sourcing (not eval in a function) keeps `declare`, `cd`, `export`, aliases and
# functions at top level, so they persist; fresh FIFOs per command keep a
# background job's later output out of later commands.
unset BASH_ENV
exec 9>/run/sandkasten/ctl
shopt -s expand_aliases
# `exit N` ends the command with status N instead of ending the shell.
alias exit=return
__sk_done() { printf 'D %s %d %s\0' "$1" "$2" "$PWD" >&9; }
# A background command is out of the job table (a later `wait` must not wait for it);
# it reports its own end with an E record.
__sk_bg() { disown "$2" 2>/dev/null; printf 'D %s 0 %s\0' "$1" "$PWD" >&9; }
__sk_end() { printf 'E %s %d\0' "$1" "$2" >&9; }
printf 'R %d\0' "$$" >&9
