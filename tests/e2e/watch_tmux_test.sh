#!/usr/bin/env bash
# `maydayctl cases watch` as a care agent sees it: run in a real terminal
# (tmux), a member raises an alert no crew can take, and the screen must show
# the raised case, its escalation marked "!!" in bold red, and the agent's
# message; Ctrl-C must end the watch cleanly.
#
#   tests/e2e/watch_tmux_test.sh BIN_DIR
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../../tools/lib/serving.sh"

bin="${1:?usage: watch_tmux_test.sh BIN_DIR}"
# CI runs without a terminal: tell tmux what the panes are.
export TERM=xterm-256color
work="$(mktemp -d "${TMPDIR:-/tmp}/mayday-tmux.XXXXXX")"
session="mayday-watch-$$"
server_pid=""
panic_pid=""
cleanup() {
  tmux kill-session -t "$session" 2>/dev/null || true
  if [ -n "$panic_pid" ]; then kill "$panic_pid" 2>/dev/null || true; fi
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  echo "--- screen ---" >&2
  tmux capture-pane -p -t "$session" >&2 || true
  exit 1
}

# Waits up to 20 s for the screen to contain the extended regex $1.
wait_for_screen() {
  for _ in $(seq 1 200); do
    if tmux capture-pane -p -e -t "$session" | grep -Eq -- "$1"; then return 0; fi
    sleep 0.1
  done
  fail "the screen never showed /$1/"
}

db="$work/mayday.db"
member=$("$bin/maydayd" token create --db "$db" --role member --subject alice)
agent=$("$bin/maydayd" token create --db "$db" --role operator --subject desk-1)
"$bin/maydayd" --listen 127.0.0.1:0 --db "$db" 2>"$work/maydayd.log" &
server_pid=$!
port="$(wait_for_port "$work/maydayd.log")" || { echo "FAIL: maydayd did not start" >&2; exit 1; }
server="127.0.0.1:$port"

# A real terminal, 240x40, running the watch.
tmux new-session -d -s "$session" -x 240 -y 40 \
  "TERM=xterm-256color $bin/maydayctl --server $server --token $agent cases watch; echo WATCH-EXITED-\$?; sleep 30"
sleep 0.5

# No responder is on duty: the case escalates at once.
"$bin/mayday-panic" --server "$server" --token "$member" --note "engine smoke" road 52.37 4.89 \
  >"$work/panic.log" 2>&1 &
panic_pid=$!

wait_for_screen 'cases/[0-9a-f]{46}  #1  DISPATCHING  members/alice  road alert raised at 52\.37000, 4\.89000, note "engine smoke"'
# The escalation: marked and in bold red (maydayctl writes ESC[1;31m; tmux
# gives it back as bold, then red).
wait_for_screen $'\033\\[1m\033\\[31m!! [0-9:]{8}  cases/[0-9a-f]{46}  #2  ESCALATED  dispatch  escalated to care agents: no tow truck'

case_name=$(tmux capture-pane -p -t "$session" | grep -Eo 'cases/[0-9a-f]{46}' | head -1)

# The care agent writes to the member.
"$bin/maydayctl" --server "$server" --token "$agent" cases message "$case_name" "We are finding you a tow truck" >/dev/null
wait_for_screen "#3  ESCALATED  operators/desk-1  message from operators/desk-1: \"We are finding you a tow truck\""

# Ctrl-C ends the watch with exit code 0.
tmux send-keys -t "$session" C-c
wait_for_screen 'WATCH-EXITED-0'

# Nothing on the screen but what the watch printed: no errors.
if tmux capture-pane -p -t "$session" | grep -q 'maydayctl:'; then fail "the watch printed an error"; fi
echo "PASS: cases watch under tmux showed the case, its escalation in red, the message, and stopped on Ctrl-C"
