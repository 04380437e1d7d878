#!/usr/bin/env bash
# Integration tests with ansible-test.
#
# - If the source tree has its own tests/integration/integration_config.yml (a real Semaphore,
#   see tests/integration/integration_config.yml.template), run once against it and start no
#   simulator.
# - Otherwise, for each simulator profile: start a simulator, write an integration_config.yml
#   into the ansible-test copy (never into the source tree), run, stop the simulator.
#
# Usage: hack/integration.sh [extra ansible-test integration arguments...]
# Environment: SIM_PROFILES (default "2.10 2.13 2.16 2.18"), VENV, ANSIBLE_TEST_PYTHON (the Python
# version ansible-test runs the targets with; default: the venv's own, see hack/ansible-test.sh),
# SIM_STATE_ROOT (where each simulator keeps its files; default: with-simulator.sh's build/sim-*).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${repo}"

# Internal mode: called by with-simulator.sh with SEMAPHORE_URL set.
if [[ ${1:-} == --against-simulator ]]; then
    shift
    config=${SEMAPHORE_SIM_DIR}/integration_config.yml
    # The seed's admin (tests/simulator/seed.yml), from with-simulator.sh; quoted for YAML.
    password=${SEMAPHORE_SIM_PASSWORD//\\/\\\\}
    password=${password//\"/\\\"}
    cat >"${config}" <<CFG
# Written by hack/integration.sh for one simulator run; not part of the source tree.
semaphore_url: ${SEMAPHORE_URL}
semaphore_username: ${SEMAPHORE_SIM_USERNAME}
semaphore_password: "${password}"
semaphore_project: Demo
semaphore_template_success: Deploy app
semaphore_template_failure: Failing job
semaphore_template_slow: Slow job
semaphore_simulator: true
semaphore_profile: "${SEMAPHORE_SIM_PROFILE}"
CFG
    INTEGRATION_CONFIG=${config} exec hack/ansible-test.sh integration --local "$@"
fi

if [[ -f tests/integration/integration_config.yml ]]; then
    echo "integration: using tests/integration/integration_config.yml (no simulator)" >&2
    INTEGRATION_CONFIG=tests/integration/integration_config.yml \
        exec hack/ansible-test.sh integration --local "$@"
fi

for profile in ${SIM_PROFILES:-2.10 2.13 2.16 2.18}; do
    echo "integration: simulator profile ${profile}" >&2
    state_dir=()
    [[ -n ${SIM_STATE_ROOT:-} ]] && state_dir=(--state-dir "${SIM_STATE_ROOT}/sim-${profile}")
    hack/with-simulator.sh --profile "${profile}" "${state_dir[@]}" -- hack/integration.sh --against-simulator "$@"
done
