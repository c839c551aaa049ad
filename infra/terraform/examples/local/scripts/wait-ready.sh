#!/usr/bin/env bash
# wait-ready.sh TIMEOUT_SECONDS PID_DIR BASE_URL...
#
# Polls GET <url>/readyz of every http:// base URL until each answers 200.
# Fails after TIMEOUT_SECONDS naming those that did not and what each
# answered last, or at once when a process recorded in PID_DIR (*.pid) has
# exited, with the end of its log (PID_DIR/../logs/NAME.log). One attempt
# may take 10 s (a busy machine answers late); the deadline is what bounds
# the wait. Plain bash (/dev/tcp): no curl needed.
set -euo pipefail
timeout_s=$1 pid_dir=$2
shift 2

# status URL: the HTTP status code of GET <url>/readyz, or 000.
status() {
	local hostport=${1#http://}
	hostport=${hostport%%/*}
	timeout 10 bash -c '
		exec 3<>"/dev/tcp/$1/$2" || exit 1
		printf "GET /readyz HTTP/1.0\r\nHost: %s:%s\r\n\r\n" "$1" "$2" >&3
		IFS=" " read -r _ code _ <&3
		echo "$code"
	' _ "${hostport%:*}" "${hostport##*:}" 2>/dev/null || echo 000
}

# exited: names of recorded processes that are no longer running.
exited() {
	local f
	for f in "$pid_dir"/*.pid; do
		[[ -s $f ]] || continue
		kill -0 "$(<"$f")" 2>/dev/null || printf '%s ' "$(basename "$f" .pid)"
	done
}

# pending_report: each URL not ready yet and its last status.
pending_report() {
	local u
	for u in "${pending[@]}"; do
		if [[ ${last[$u]} == 000 ]]; then printf ' %s (no answer)' "$u"; else printf ' %s (HTTP %s)' "$u" "${last[$u]}"; fi
	done
}

deadline=$((SECONDS + timeout_s))
pending=("$@")
declare -A last
while ((${#pending[@]})); do
	left=()
	for u in "${pending[@]}"; do
		last[$u]=$(status "$u")
		[[ ${last[$u]} == 200 ]] || left+=("$u")
	done
	pending=("${left[@]+"${left[@]}"}")
	((${#pending[@]})) || break
	dead=$(exited)
	if [[ -n $dead ]]; then
		echo "exited: $dead; not ready:$(pending_report)" >&2
		for name in $dead; do
			log=$(dirname "$pid_dir")/logs/$name.log
			[[ -f $log ]] && { echo "--- $log (last 30 lines)" >&2; tail -n 30 "$log" >&2; }
		done
		exit 1
	fi
	if ((SECONDS >= deadline)); then
		echo "not ready after ${timeout_s}s:$(pending_report)" >&2
		exit 1
	fi
	sleep 0.2
done
echo "ready: $*"
