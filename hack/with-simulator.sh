#!/usr/bin/env bash
# Start the Semaphore simulator on a free loopback port, run a command with SEMAPHORE_URL set to
# it, and stop the simulator afterwards, whatever happened. A thin wrapper around
# `python -m semaphore_sim.harness` (tests/simulator/semaphore_sim/harness.py), which does the work.
#
# Usage: hack/with-simulator.sh [--profile 2.16] [--seed FILE] [--state-dir DIR] [--admin-env] -- command [args...]
# The command sees SEMAPHORE_URL, SEMAPHORE_SIM_PROFILE, SEMAPHORE_SIM_DIR (log, url file), and the
# seed's admin as SEMAPHORE_SIM_USERNAME and SEMAPHORE_SIM_PASSWORD; with --admin-env also as
# SEMAPHORE_USERNAME and SEMAPHORE_PASSWORD (the modules' environment fallbacks).
# Environment: VENV (default .venv), SIM_START_TIMEOUT seconds (default 30).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-${repo}/.venv}
profile=2.16
options=()
state_dir=

while [[ $# -gt 0 ]]; do
    case $1 in
        --profile) profile=$2; shift 2 ;;
        --seed) options+=(--seed "$2"); shift 2 ;;
        --state-dir) state_dir=$2; shift 2 ;;
        --admin-env) options+=(--admin-env); shift ;;
        --) shift; break ;;
        *) echo "with-simulator: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ $# -gt 0 ]] || { echo "with-simulator: no command given" >&2; exit 2; }

if [[ ! -d ${repo}/tests/simulator/semaphore_sim ]]; then
    echo "with-simulator: tests/simulator/semaphore_sim is missing (simulator not written yet?)" >&2
    exit 1
fi

# Not exec'd into the command: the harness stays to stop the simulator after it.
PYTHONPATH=${repo}/tests/simulator${PYTHONPATH:+:${PYTHONPATH}} exec "${venv}/bin/python" -m semaphore_sim.harness \
    --profile "${profile}" --state-dir "${state_dir:-${repo}/build/sim-${profile}}" \
    --start-timeout "${SIM_START_TIMEOUT:-30}" "${options[@]}" -- "$@"
