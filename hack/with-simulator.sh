#!/usr/bin/env bash
# Start the Semaphore simulator on a free loopback port, run a command with SEMAPHORE_URL set to
# it, and stop the simulator afterwards, whatever happened (EXIT trap).
#
# Usage: hack/with-simulator.sh [--profile 2.16] [--seed FILE] [--state-dir DIR] -- command [args...]
# The command sees SEMAPHORE_URL, SEMAPHORE_SIM_PROFILE and SEMAPHORE_SIM_DIR (log, url file).
# Environment: VENV (default .venv), SIM_START_TIMEOUT seconds (default 30).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-${repo}/.venv}
profile=2.16
seed=${repo}/tests/simulator/seed.yml
state_dir=
timeout=${SIM_START_TIMEOUT:-30}

while [[ $# -gt 0 ]]; do
    case $1 in
        --profile) profile=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --state-dir) state_dir=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "with-simulator: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $# -gt 0 ]] || { echo "with-simulator: no command given" >&2; exit 2; }

if [[ ! -d ${repo}/tests/simulator/semaphore_sim ]]; then
    echo "with-simulator: tests/simulator/semaphore_sim is missing (simulator not written yet?)" >&2
    exit 1
fi

state_dir=${state_dir:-${repo}/build/sim-${profile}}
mkdir -p "${state_dir}"
url_file=${state_dir}/sim.url
log_file=${state_dir}/sim.log
rm -f "${url_file}"

sim_pid=
stop_simulator() {
    local rc=$?
    if [[ -n ${sim_pid} ]] && kill -0 "${sim_pid}" 2>/dev/null; then
        kill -TERM "${sim_pid}" 2>/dev/null || true
        # Bounded wait for a clean exit, then force it.
        for _ in $(seq 1 50); do
            kill -0 "${sim_pid}" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "${sim_pid}" 2>/dev/null || true
        wait "${sim_pid}" 2>/dev/null || true
    fi
    exit "${rc}"
}
trap stop_simulator EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

PYTHONPATH=${repo}/tests/simulator${PYTHONPATH:+:${PYTHONPATH}} \
    "${venv}/bin/python" -m semaphore_sim \
    --host 127.0.0.1 --port 0 --profile "${profile}" --seed "${seed}" \
    --port-file "${url_file}" >"${log_file}" 2>&1 </dev/null &
sim_pid=$!

# Wait, bounded, for the URL file and then for /api/ping to answer.
url=
deadline=$((SECONDS + timeout))
while ((SECONDS < deadline)); do
    if ! kill -0 "${sim_pid}" 2>/dev/null; then
        echo "with-simulator: simulator exited early; its log:" >&2
        cat "${log_file}" >&2
        exit 1
    fi
    if [[ -s ${url_file} ]]; then
        url=$(head -n 1 "${url_file}")
        if "${venv}/bin/python" - "${url}" <<'PY'
import sys, urllib.request
try:
    with urllib.request.urlopen(sys.argv[1] + '/api/ping', timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except Exception:
    sys.exit(1)
PY
        then
            break
        fi
    fi
    url=
    sleep 0.2
done
if [[ -z ${url} ]]; then
    echo "with-simulator: simulator not ready after ${timeout}s; its log:" >&2
    cat "${log_file}" >&2
    exit 1
fi
echo "with-simulator: profile ${profile} at ${url}" >&2

export SEMAPHORE_URL=${url} SEMAPHORE_SIM_PROFILE=${profile} SEMAPHORE_SIM_DIR=${state_dir}
# Not exec: the EXIT trap must run after the command to stop the simulator.
"$@"
