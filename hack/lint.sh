#!/usr/bin/env bash
# Documentation, playbook, changelog and Galaxy-import checks.
# Usage: hack/lint.sh             Environment: VENV (default .venv)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${VENV:-${repo}/.venv}
cd "${repo}"
export PATH=${venv}/bin:${PATH}

echo "== antsibull-docs lint-collection-docs" >&2
# It loads plugin docs through ansible-doc, which needs the ansible_collections/ layout: use the
# same copy ansible-test uses.
export COPY_ROOT=${repo}/build/lint
copy=${COPY_ROOT}/ansible_collections/semaphore/api
hack/ansible-test.sh --sync-only
(cd "${copy}" && antsibull-docs lint-collection-docs --plugin-docs .)

echo "== ansible-lint examples/ tests/integration/targets/" >&2
# Also from the copy: there the collection resolves as semaphore.api (module names, the
# module_defaults action group) without ansible-lint installing anything, and its .ansible/
# cache stays out of the source tree.
(cd "${copy}" && ANSIBLE_COLLECTIONS_PATH=${COPY_ROOT} ansible-lint examples/ tests/integration/targets/)

echo "== antsibull-changelog lint" >&2
antsibull-changelog lint

echo "== galaxy-importer (without its ansible-test step)" >&2
version=$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')
tarball=build/semaphore-api-${version}.tar.gz
mkdir -p build
ansible-galaxy collection build --force --output-path build/ . >/dev/null
# From build/: galaxy-importer writes importer_result.json into the current directory.
(cd build && GALAXY_IMPORTER_CONFIG=${repo}/hack/galaxy-importer.cfg python -m galaxy_importer.main "${repo}/${tarball}") \
    >build/galaxy-importer.log 2>&1 || { cat build/galaxy-importer.log >&2; exit 1; }
if grep -E '^(ERROR|CRITICAL)' build/galaxy-importer.log >&2; then
    echo "galaxy-importer reported errors (full log: build/galaxy-importer.log)" >&2
    exit 1
fi
grep -E 'WARNING' build/galaxy-importer.log >&2 || true
echo "galaxy-importer: ok (log: build/galaxy-importer.log)"
