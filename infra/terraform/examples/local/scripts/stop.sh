#!/usr/bin/env bash
# stop.sh NAME BINARY PID_FILE [DIR_TO_REMOVE...]
#
# Stops the process recorded in PID_FILE as systemd would (SIGTERM, then
# SIGKILL after 30 s), but only if that pid still runs BINARY, then removes
# the pid file and the given directories (a coordinator's raft data).
set -euo pipefail
name=$1 bin=$2 pid_file=$3
shift 3

if [[ -s $pid_file ]]; then
	pid=$(<"$pid_file")
	exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
	if [[ ${exe% (deleted)} == "$(readlink -f "$bin")" ]]; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 300; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "$name: still running 30 s after SIGTERM, killing pid $pid" >&2
			kill -KILL "$pid" 2>/dev/null || true
		fi
		echo "$name: stopped (pid $pid)"
	else
		echo "$name: pid $pid is not running $bin any more"
	fi
fi
rm -f "$pid_file"
for d in "$@"; do
	rm -rf "$d"
done
