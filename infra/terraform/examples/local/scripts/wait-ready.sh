#!/usr/bin/env bash
# wait-ready.sh TIMEOUT_SECONDS BASE_URL...
#
# Polls GET <url>/readyz of every http:// base URL until each answers 200, or
# fails after TIMEOUT_SECONDS naming those that did not. Plain bash (/dev/tcp):
# no curl needed.
set -euo pipefail
timeout_s=$1
shift

# status URL: the HTTP status code of GET <url>/readyz, or 000.
status() {
	local hostport=${1#http://}
	hostport=${hostport%%/*}
	local host=${hostport%:*} port=${hostport##*:}
	timeout 2 bash -c '
		exec 3<>"/dev/tcp/$1/$2" || exit 1
		printf "GET /readyz HTTP/1.0\r\nHost: %s:%s\r\n\r\n" "$1" "$2" >&3
		IFS=" " read -r _ code _ <&3
		echo "$code"
	' _ "$host" "$port" 2>/dev/null || echo 000
}

deadline=$((SECONDS + timeout_s))
pending=("$@")
while ((${#pending[@]})); do
	left=()
	for u in "${pending[@]}"; do
		[[ $(status "$u") == 200 ]] || left+=("$u")
	done
	pending=("${left[@]+"${left[@]}"}")
	((${#pending[@]})) || break
	if ((SECONDS >= deadline)); then
		echo "not ready after ${timeout_s}s: ${pending[*]}" >&2
		exit 1
	fi
	sleep 0.2
done
echo "ready: $*"
