# Sandkasten shell supervisor: the first process in every sandbox.
# It keeps exactly one command shell alive. When that shell exits (`builtin exit`,
# `exec`, `set -e`, a signal, the OOM killer), a fresh one starts in the same
# sandbox, so /tmp, the workspace and background jobs survive, and the daemon is
# told the old shell's exit status with an `X` record on the control FIFO.
exec 1>/dev/null 2>/dev/null 8>/run/sandkasten/ctl
while :; do
  BASH_ENV=/run/sandkasten-rt/shell.sh /bin/bash --noprofile --norc -s 8>&-
  printf 'X %d\0' "$?" >&8
done
