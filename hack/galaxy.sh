#!/usr/bin/env bash
# Build the collection tarball, check what it carries, install it (tarball, git checkout,
# directory) and run one ad-hoc module call from the installed copy against a simulator.
# Usage: hack/galaxy.sh            Environment: VENV (default .venv)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-${repo}/.venv}
cd "${repo}"
export PATH=${venv}/bin:${PATH}

version=$("${venv}/bin/python" -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
tarball=build/semaphore-api-${version}.tar.gz

mkdir -p build
rm -f "${tarball}"
ansible-galaxy collection build --force --output-path build/ .

# Nothing for developers only may ship.
listing=$(tar -tzf "${tarball}")
bad=$(grep -E '^(tests|\.ci|hack|bench|build|\.venv|\.git|\.ansible|\.pytest_cache)(/|$)|^Makefile$|__pycache__|\.plugin-cache\.yaml$|integration_config\.yml$' <<<"${listing}" || true)
if [[ -n ${bad} ]]; then
    echo "galaxy: the tarball carries files it must not:" >&2
    echo "${bad}" >&2
    exit 1
fi
for must in MANIFEST.json FILES.json README.md meta/runtime.yml; do
    grep -qx "${must}" <<<"${listing}" || { echo "galaxy: ${must} missing from tarball" >&2; exit 1; }
done
echo "galaxy: ${tarball} has $(wc -l <<<"${listing}") entries, none of tests/ .ci hack Makefile"

tmp=$(mktemp -d)
trap 'rm -rf "${tmp}"' EXIT

# 1. From the tarball.
ansible-galaxy collection install --force -p "${tmp}/from-tarball" "${tarball}"
test -f "${tmp}/from-tarball/ansible_collections/semaphore/api/MANIFEST.json"

# 2. From the git checkout (committed HEAD; a local clone needs no network).
ansible-galaxy collection install --force -p "${tmp}/from-git" "git+file://${repo}"
test -f "${tmp}/from-git/ansible_collections/semaphore/api/meta/runtime.yml"

# 3. From the source directory (work tree as it is).
ansible-galaxy collection install --force -p "${tmp}/from-dir" "${repo}"
test -f "${tmp}/from-dir/ansible_collections/semaphore/api/meta/runtime.yml"

# One ad-hoc call through the tarball install, against a simulator.
out=${tmp}/adhoc.out
# The seed's admin reaches the module as SEMAPHORE_USERNAME and SEMAPHORE_PASSWORD (--admin-env).
ANSIBLE_COLLECTIONS_PATH=${tmp}/from-tarball ANSIBLE_PYTHON_INTERPRETER=${venv}/bin/python \
    hack/with-simulator.sh --profile 2.16 --state-dir build/sim-galaxy --admin-env -- \
    ansible localhost -m semaphore.api.semaphore_task -a 'project=Demo template="Deploy app"' \
    >"${out}" 2>&1 || { cat "${out}" >&2; echo "galaxy: ad-hoc call failed" >&2; exit 1; }
cat "${out}"
# Launching a task changes the server, so Ansible prints "localhost | CHANGED"; "SUCCESS" is the
# Semaphore task's own status.
grep -Eq '^localhost \| (CHANGED|SUCCESS) =>' "${out}" || { echo "galaxy: ad-hoc call did not succeed" >&2; exit 1; }
grep -Eq '^    "status": "success",?$' "${out}" || { echo "galaxy: the Semaphore task did not end in success" >&2; exit 1; }
echo "galaxy: ad-hoc semaphore.api.semaphore_task from the installed tarball: task status SUCCESS"
