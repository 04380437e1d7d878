#!/usr/bin/env bash
# Run the ansible-core test matrix of tests/matrix.yml: for each entry, make (or reuse) its venv
# build/venvs/<core>/ and run its steps, on the host or, for Python 3.13 entries, inside the
# Debian 13 root (hack/in-debian-root.sh). Every step runs even after another failed (except
# when its venv could not be made); a summary table (core, python, step, result, seconds) closes
# the run, and the exit code is 1 when any step failed. Each step's output is kept in
# build/matrix/<core>/<step>.log.
#
# With MATRIX_JOBS=2 (the default) the host entries and the Debian 13 entries run as two lanes
# side by side (most of the time goes into waiting on simulators and ansible, not the CPU); a
# step's output then goes to its log only, and the end of the log is shown when it fails. With
# MATRIX_JOBS=1, or when only one kind of entry is selected, everything runs in one lane and
# every step's output is shown as it comes.
#
# Usage: hack/matrix.sh [VERSION...]   e.g. hack/matrix.sh 2.21.5, or 2.21 for every 2.21.x entry
# Environment:
#   MATRIX              versions to run when no argument is given (space-separated; default all)
#   MATRIX_JOBS         1 or 2 lanes (default 2)
#   MATRIX_ONLY_VENVS   set: make the venvs (and the Debian 13 root) and run no step
#   MATRIX_STEP_TIMEOUT seconds one step may take before it is stopped (default 1200)
#   PYTHON              the host's Python 3.11 for host venvs (default python3)
#   VENV                the venv whose python reads tests/matrix.yml (default .venv, needs pyyaml)
#   DEBIAN_ROOT         see hack/debian-root.sh
# The Debian 13 entries need root (debootstrap, unshare, chroot): run by another user, they are
# reported as skipped, with a warning.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "${repo}"
venvs_dir=${repo}/build/venvs
logs_dir=${repo}/build/matrix

# --- One step of one entry (internal: `hack/matrix.sh --step STEP`, on the host or in the root).
# Environment from the outer run: MATRIX_CORE, MATRIX_PIP, MATRIX_PYTHON, MATRIX_ROOT,
# MATRIX_PACKAGES, MATRIX_PROFILE, MATRIX_SANITY_SKIP, MATRIX_INTEGRATION_EXCLUDE (the last
# three space-separated).
run_step() {
    local step=$1
    local venv=${venvs_dir}/${MATRIX_CORE}
    local work=${logs_dir}/${MATRIX_CORE}
    export VENV=${venv}
    export ANSIBLE_TEST_PYTHON=${MATRIX_PYTHON}
    # Per entry, so that two lanes never share an ansible-test copy or a simulator's files.
    export COPY_ROOT=${work}/ansible-test-${step}
    export SIM_STATE_ROOT=${work}
    case ${step} in
        venv) make_venv "${venv}" ;;
        sanity)
            local skip=() test
            for test in ${MATRIX_SANITY_SKIP:-}; do skip+=(--skip-test "${test}"); done
            hack/ansible-test.sh sanity --local "${skip[@]}"
            ;;
        units) hack/ansible-test.sh units --local ;;
        integration)
            local exclude=() target
            for target in ${MATRIX_INTEGRATION_EXCLUDE:-}; do exclude+=(--exclude "${target}"); done
            SIM_PROFILES=${MATRIX_PROFILE} hack/integration.sh "${exclude[@]}"
            ;;
        systests)
            local tests=(tests/system/test_controller.py)
            # Being written alongside; run it as soon as it exists.
            [[ -f tests/system/test_matrix.py ]] && tests+=(tests/system/test_matrix.py)
            # Two workers: the tests mostly wait on simulators and ansible processes.
            "${venv}/bin/python" -m pytest -q -p no:cacheprovider -n 2 --basetemp "${work}/pytest" "${tests[@]}"
            ;;
        *) echo "matrix: unknown step ${step}" >&2; return 2 ;;
    esac
}

# Make the venv unless its stamp says it was made from the same python, pin and packages and it
# still imports ansible-core.
make_venv() {
    local venv=$1 base
    if [[ ${MATRIX_ROOT} == host ]]; then
        base=${PYTHON:-python3}
    else
        base=/usr/bin/python3
    fi
    local base_version
    base_version=$("${base}" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
    if [[ ${base_version} != "${MATRIX_PYTHON}".* ]]; then
        echo "matrix: ${base} is Python ${base_version}, tests/matrix.yml wants ${MATRIX_PYTHON} for ${MATRIX_CORE}" >&2
        return 1
    fi
    local stamp=${venv}/.matrix-stamp
    local want="python=${base_version} pip=${MATRIX_PIP} packages=${MATRIX_PACKAGES}"
    if [[ -f ${stamp} && $(cat "${stamp}") == "${want}" ]] \
        && "${venv}/bin/python" -c 'import ansible, ansible_test' 2>/dev/null; then
        echo "matrix: ${venv} is up to date"
        return 0
    fi
    echo "matrix: making ${venv} (${MATRIX_PIP}, Python ${base_version})"
    rm -rf "${venv}"
    mkdir -p "$(dirname "${venv}")"
    "${base}" -m venv "${venv}"
    "${venv}/bin/python" -m pip install --quiet --upgrade pip
    local extra_packages
    read -r -a extra_packages <<<"${MATRIX_PACKAGES}"
    "${venv}/bin/python" -m pip install --quiet "${MATRIX_PIP}" "${extra_packages[@]}"
    "${venv}/bin/python" -c 'import ansible.release as r; print("matrix: ansible-core", r.__version__)'
    echo "${want}" >"${stamp}"
}

# --- The outer run.

# tests/matrix.yml as lines: "settings<TAB>profile<TAB>packages", then one
# "entry<TAB>core<TAB>pip<TAB>python<TAB>root<TAB>steps<TAB>sanity_skip<TAB>integration_exclude"
# per entry (lists comma-separated).
read_matrix() {
    "$1" - tests/matrix.yml <<'PY'
import os, re, sys, yaml
with open(sys.argv[1]) as f:
    data = yaml.safe_load(f)
STEPS = {'sanity', 'units', 'integration', 'systests'}
ROOTS = {'host': '3.11', 'debian13': '3.13'}
problems = []
packages = data.get('venv_packages') or []
profile = str(data.get('integration_profile', ''))
if not profile or any(' ' in p or '\t' in p for p in packages):
    problems.append('integration_profile must be set and venv_packages must hold no spaces')
print('settings\t%s\t%s' % (profile, ' '.join(packages)))
seen = set()
for index, entry in enumerate(data.get('entries') or []):
    core, pip, python, root = (str(entry.get(k, '')) for k in ('core', 'pip', 'python', 'root'))
    steps = entry.get('steps') or []
    skip = [str(t) for t in entry.get('sanity_skip') or []]
    exclude = [str(t) for t in entry.get('integration_exclude') or []]
    where = 'entry %d (%s)' % (index + 1, core)
    if not re.fullmatch(r'[0-9][0-9A-Za-z.]*', core) or core in seen:
        problems.append('%s: core must be a version, once' % where)
    if not re.fullmatch(r'ansible-core==' + re.escape(core), pip):
        problems.append('%s: pip must be ansible-core==%s' % (where, core))
    if ROOTS.get(root) != python:
        problems.append('%s: root/python must be host/3.11 or debian13/3.13' % where)
    if not steps or not set(steps) <= STEPS or len(set(steps)) != len(steps):
        problems.append('%s: steps must be distinct, from %s' % (where, ', '.join(sorted(STEPS))))
    if skip and ('sanity' not in steps or not all(re.fullmatch(r'[a-z0-9.-]+', t) for t in skip)):
        problems.append('%s: sanity_skip needs the sanity step and names of sanity tests' % where)
    if exclude and ('integration' not in steps
                    or not all(os.path.isdir('tests/integration/targets/' + t) for t in exclude)):
        problems.append('%s: integration_exclude needs the integration step and names of '
                        'tests/integration/targets/ directories' % where)
    unknown = set(entry) - {'core', 'pip', 'python', 'root', 'steps', 'sanity_skip', 'integration_exclude'}
    if unknown:
        problems.append('%s: unknown keys %s' % (where, ', '.join(sorted(unknown))))
    seen.add(core)
    print('entry\t%s\t%s\t%s\t%s\t%s\t%s\t%s' % (core, pip, python, root, ','.join(steps), ','.join(skip) or '-',
                                              ','.join(exclude) or '-'))
if problems:
    sys.exit('tests/matrix.yml: ' + '; '.join(problems))
PY
}

# Run one command of a lane under the step timeout, its output into LOG (and the console when
# STREAM is true). Returns the command's exit code. In the background plus `wait`, so that a
# TERM to the lane reaches the timeout, which passes it on to the whole step.
step_pid=
run_logged() {
    local log=$1 stream=$2
    shift 2
    local rc=0
    if ${stream}; then
        timeout --kill-after=30 "${step_timeout}" "$@" </dev/null > >(tee "${log}") 2>&1 &
    else
        timeout --kill-after=30 "${step_timeout}" "$@" </dev/null >"${log}" 2>&1 &
    fi
    step_pid=$!
    wait "${step_pid}" || rc=$?
    step_pid=
    # Let tee finish writing the log.
    ${stream} && wait 2>/dev/null
    return "${rc}"
}

# A lane: the given entries one after the other. Rows go to ROWS_FILE as
# "core<TAB>python<TAB>step<TAB>result<TAB>seconds".
run_lane() {
    local rows_file=$1 stream=$2
    shift 2
    trap '[[ -n ${step_pid} ]] && kill -TERM "${step_pid}" 2>/dev/null; exit 143' TERM INT
    local entry core pip python root steps sanity_skip integration_exclude started rc step
    local root_state=unknown
    for entry in "$@"; do
        IFS=$'\t' read -r core pip python root steps sanity_skip integration_exclude <<<"${entry}"
        # "-" stands for an empty list (tab-separated fields cannot be empty in `read`).
        [[ ${sanity_skip} == - ]] && sanity_skip=
        [[ ${integration_exclude} == - ]] && integration_exclude=
        local step_list runner=() entry_ok=true
        IFS=, read -r -a step_list <<<"${steps}"
        # make bench only needs the venvs (bench/cores.py).
        [[ -n ${MATRIX_ONLY_VENVS:-} ]] && step_list=()
        mkdir -p "${logs_dir}/${core}"
        if [[ ${root} == debian13 ]]; then
            runner=(hack/in-debian-root.sh)
            # The Debian 13 root, once per lane (its own row: a cold build takes minutes).
            if [[ ${root_state} == unknown && $(id -u) != 0 ]]; then
                # debootstrap, unshare and chroot need root; CI runs as root.
                echo "matrix: WARNING: not root, so the Python 3.13 entries (Debian 13 root) are skipped" >&2
                root_state=skipped
                printf '%s\t%s\t%s\t%s\t%s\n' - 3.13 debian13-root skipped 0 >>"${rows_file}"
            fi
            if [[ ${root_state} == unknown ]]; then
                echo "=== matrix: Debian 13 root" >&2
                started=${SECONDS}
                rc=0
                run_logged "${logs_dir}/debian13-root.log" "${stream}" hack/debian-root.sh || rc=$?
                if ((rc == 0)); then
                    root_state=ok
                    printf '%s\t%s\t%s\t%s\t%s\n' - 3.13 debian13-root ok $((SECONDS - started)) >>"${rows_file}"
                else
                    root_state=failed
                    printf '%s\t%s\t%s\t%s\t%s\n' - 3.13 debian13-root FAILED $((SECONDS - started)) >>"${rows_file}"
                    show_failure "${logs_dir}/debian13-root.log" "${stream}"
                fi
            fi
            [[ ${root_state} == ok ]] || entry_ok=false
        fi
        for step in venv "${step_list[@]}"; do
            if ! ${entry_ok}; then
                printf '%s\t%s\t%s\t%s\t%s\n' "${core}" "${python}" "${step}" skipped 0 >>"${rows_file}"
                continue
            fi
            echo "=== matrix: ansible-core ${core}, Python ${python} (${root}): ${step}" >&2
            started=${SECONDS}
            rc=0
            MATRIX_CORE=${core} MATRIX_PIP=${pip} MATRIX_PYTHON=${python} MATRIX_ROOT=${root} \
                MATRIX_PACKAGES=${venv_packages} MATRIX_PROFILE=${profile} \
                MATRIX_SANITY_SKIP=${sanity_skip//,/ } MATRIX_INTEGRATION_EXCLUDE=${integration_exclude//,/ } \
                run_logged "${logs_dir}/${core}/${step}.log" "${stream}" \
                "${runner[@]}" hack/matrix.sh --step "${step}" || rc=$?
            if ((rc == 0)); then
                echo "--- matrix: ${core} ${step}: ok ($((SECONDS - started)) s)" >&2
                printf '%s\t%s\t%s\t%s\t%s\n' "${core}" "${python}" "${step}" ok $((SECONDS - started)) >>"${rows_file}"
            else
                ((rc == 124)) && echo "matrix: ${step} of ${core} stopped after ${step_timeout} s" >>"${logs_dir}/${core}/${step}.log"
                echo "--- matrix: ${core} ${step}: FAILED, exit ${rc} ($((SECONDS - started)) s)" >&2
                printf '%s\t%s\t%s\t%s\t%s\n' "${core}" "${python}" "${step}" FAILED $((SECONDS - started)) >>"${rows_file}"
                show_failure "${logs_dir}/${core}/${step}.log" "${stream}"
                # Without its venv no other step of this entry can run.
                [[ ${step} == venv ]] && entry_ok=false
            fi
        done
    done
}

# When the output was not streamed: the errors and the end of a failed step's log.
show_failure() {
    local log=$1 stream=$2
    ${stream} && return 0
    {
        echo "--- ${log#"${repo}"/}: ERROR/FATAL lines and the last 60 lines"
        grep -E '^(ERROR|FATAL|FAILED|E  )' "${log}" | head -n 60 || true
        echo "..."
        tail -n 60 "${log}"
        echo "--- end of ${log#"${repo}"/}"
    } >&2
}

main() {
    local reader=${VENV:-${repo}/.venv}/bin/python
    if [[ ! -x ${reader} ]]; then
        echo "matrix: ${reader} is missing: run make venv first" >&2
        exit 1
    fi
    local parsed
    parsed=$(read_matrix "${reader}")

    profile='' venv_packages=''
    local entries=() kind a b c d e f g
    while IFS=$'\t' read -r kind a b c d e f g; do
        case ${kind} in
            settings) profile=${a}; venv_packages=${b} ;;
            entry) entries+=("${a}"$'\t'"${b}"$'\t'"${c}"$'\t'"${d}"$'\t'"${e}"$'\t'"${f}"$'\t'"${g}") ;;
        esac
    done <<<"${parsed}"

    # Which entries: the arguments, else $MATRIX, else all. "2.21" selects every 2.21.x.
    local wanted selected=() w entry found core
    read -r -a wanted <<<"${*:-${MATRIX:-}}"
    for w in "${wanted[@]}"; do
        found=false
        for entry in "${entries[@]}"; do
            core=${entry%%$'\t'*}
            if [[ ${core} == "${w}" || ${core} == "${w}".* ]]; then
                selected+=("${entry}")
                found=true
            fi
        done
        if ! ${found}; then
            echo "matrix: ${w} is not in tests/matrix.yml" >&2
            exit 2
        fi
    done
    ((${#wanted[@]})) || selected=("${entries[@]}")

    step_timeout=${MATRIX_STEP_TIMEOUT:-1200}
    local jobs=${MATRIX_JOBS:-2} lane_count=1
    local started=${SECONDS}
    mkdir -p "${logs_dir}"
    local rows_dir
    rows_dir=$(mktemp -d "${logs_dir}/rows.XXXXXX")

    local host=() debian=()
    for entry in "${selected[@]}"; do
        IFS=$'\t' read -r _ _ _ root _ _ _ <<<"${entry}"
        if [[ ${root} == debian13 ]]; then debian+=("${entry}"); else host+=("${entry}"); fi
    done

    if [[ ${jobs} == 1 ]] || ((${#host[@]} == 0 || ${#debian[@]} == 0)); then
        # One lane: its output is shown as it comes.
        run_lane "${rows_dir}/1" true "${host[@]}" "${debian[@]}" || true
    else
        local lanes=()
        lane_count=2
        run_lane "${rows_dir}/1" false "${host[@]}" &
        lanes+=($!)
        run_lane "${rows_dir}/2" false "${debian[@]}" &
        lanes+=($!)
        trap 'kill -TERM "${lanes[@]}" 2>/dev/null; wait; exit 130' INT TERM
        wait "${lanes[@]}" || true
        trap - INT TERM
    fi

    local passed=0 failed=0 skipped=0 result seconds python step
    echo
    echo "ansible-core test matrix (tests/matrix.yml), $((SECONDS - started)) s, ${lane_count} lane(s); logs in build/matrix/"
    printf '%-10s %-7s %-14s %-8s %7s\n' core python step result seconds
    while IFS=$'\t' read -r core python step result seconds; do
        printf '%-10s %-7s %-14s %-8s %7s\n' "${core}" "${python}" "${step}" "${result}" "${seconds}"
        case ${result} in
            ok) passed=$((passed + 1)) ;;
            FAILED) failed=$((failed + 1)) ;;
            *) skipped=$((skipped + 1)) ;;
        esac
    done < <(cat "${rows_dir}"/* 2>/dev/null)
    rm -rf "${rows_dir}"
    echo "matrix: ${passed} passed, ${failed} failed, ${skipped} skipped"
    ((failed == 0 && passed > 0))
}

if [[ ${1:-} == --step ]]; then
    run_step "$2"
    exit
fi
main "$@"
