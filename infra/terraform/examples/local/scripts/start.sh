#!/usr/bin/env bash
# start.sh NAME BINARY PID_FILE LOG_FILE ENV_FILE...
#
# Starts BINARY in the background with exactly the environment the rendered
# files give it (as systemd's EnvironmentFile= does: KEY=value lines, no shell
# expansion) and nothing inherited but PATH and HOME. Records its pid.
# Idempotent: a live process recorded in PID_FILE is left running.
set -euo pipefail
name=$1 bin=$2 pid_file=$3 log_file=$4
shift 4

if [[ -s $pid_file ]] && kill -0 "$(<"$pid_file")" 2>/dev/null; then
	echo "$name: already running (pid $(<"$pid_file"))"
	exit 0
fi
env_args=()
for f in "$@"; do
	while IFS= read -r line || [[ -n $line ]]; do
		[[ -z $line || $line == \#* ]] && continue
		[[ $line == *=* ]] || { echo "$name: $f: not KEY=value: $line" >&2; exit 1; }
		env_args+=("$line")
	done <"$f"
done
mkdir -p "$(dirname "$pid_file")" "$(dirname "$log_file")"
env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="${HOME:-/}" "${env_args[@]}" "$bin" </dev/null >>"$log_file" 2>&1 &
echo $! >"$pid_file"
echo "$name: started (pid $!), log $log_file"
