#!/usr/bin/env bash
# Run ansible-test on a copy of this checkout laid out as ansible_collections/semaphore/api/.
#
# ansible-test needs that physical layout (a symlink of the tree fails: it resolves real paths),
# so we copy the tracked and untracked-but-not-ignored files, plus .git so that ansible-test lists
# files with git and skips ignored ones such as .venv.  The copy is rebuilt on every run so it
# never carries stale files.
#
# Usage: hack/ansible-test.sh <ansible-test arguments...>
#        hack/ansible-test.sh --sync-only     (only refresh the copy)
# Environment:
#   VENV                 venv holding ansible-core (default: .venv)
#   COPY_ROOT            where ansible_collections/ goes (default: build/ansible-test-<command>,
#                        one per command so that sanity, units and integration can run side by side)
#   INTEGRATION_CONFIG   file to place as tests/integration/integration_config.yml in the copy
#   ANSIBLE_TEST_PYTHON  Python version for sanity, units and integration when the arguments
#                        name none (no --python/--controller/--target); default: the venv's own
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Absolute: the command below runs from the copy.
venv=$(realpath -m "${VENV:-${repo}/.venv}")
command=${1:-none}
copy_root=${COPY_ROOT:-${repo}/build/ansible-test-${command#--}}
dest=${copy_root}/ansible_collections/semaphore/api

cd "${repo}"
rm -rf "${dest}"
mkdir -p "${dest}"

# Files git knows about or would add, skipping ones deleted from the work tree.
git ls-files -z -co --exclude-standard \
    | while IFS= read -r -d '' f; do [[ -e ${f} || -L ${f} ]] && printf '%s\0' "${f}"; done \
    | tar --null -T - -cf - | tar -xf - -C "${dest}"
tar --exclude=index.lock -cf - .git | tar -xf - -C "${dest}"

if [[ -n ${INTEGRATION_CONFIG:-} ]]; then
    cp "${INTEGRATION_CONFIG}" "${dest}/tests/integration/integration_config.yml"
fi

[[ ${1:-} == --sync-only ]] && exit 0

# Only the commands that make venvs bootstrap pip with get-pip.py (hack/install-get-pip.sh says why).
if [[ ${command} == @(sanity|units) ]]; then
    "${repo}/hack/install-get-pip.sh" "${venv}/bin/python"
fi

python_given=false
for arg in "$@"; do
    case ${arg} in
        --python | --python=* | --controller | --controller=* | --target | --target=*) python_given=true ;;
    esac
done
if [[ ${command} == @(sanity|units|integration) ]] && ! ${python_given}; then
    python_version=${ANSIBLE_TEST_PYTHON:-$("${venv}/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')}
    set -- "$@" --python "${python_version}"
fi

cd "${dest}"
export PATH=${venv}/bin:${PATH}
exec "${venv}/bin/ansible-test" "$@"
