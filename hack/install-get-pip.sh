#!/usr/bin/env bash
# Put our offline get-pip stand-in (hack/get_pip_standin.py) where ansible-test looks for its
# cached pip bootstrap script, so `ansible-test sanity/units --local` work on a machine that reaches
# only the package registries: ansible-test would otherwise download get-pip.py from a host outside
# them, and fail with "does not have pip available". Called by hack/ansible-test.sh before those two
# commands only. The cache is shared by every collection tested on this machine, so a real get-pip.py
# found there is left alone; only a missing file, or an older copy of our own, is (re)placed.
# Usage: hack/install-get-pip.sh [PYTHON]   (PYTHON: the venv python that has ansible-test)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
python=${1:-${here}/../.venv/bin/python}

# The pip version ansible-test bootstraps is pinned inside ansible_test; read it rather than guess.
pip_version=$("${python}" - <<'PY'
import ast, pathlib, ansible_test
src = pathlib.Path(ansible_test.__file__).parent / '_internal' / 'python_requirements.py'
tree = ast.parse(src.read_text())
for node in ast.walk(tree):
    if isinstance(node, ast.FunctionDef) and node.name == 'get_venv_packages':
        for call in ast.walk(node):
            if isinstance(call, ast.Call) and getattr(call.func, 'id', '') == 'dict':
                for kw in call.keywords:
                    if kw.arg == 'pip':
                        print(kw.value.value)
                        raise SystemExit(0)
raise SystemExit('pip version not found in %s' % src)
PY
)

cache_dir=${HOME}/.ansible/test/cache
target=${cache_dir}/get_pip_${pip_version//./_}.py
mkdir -p "${cache_dir}"
marker="Offline stand-in for pip's"
if [[ ! -e ${target} ]] || { grep -q "${marker}" "${target}" && ! cmp -s "${here}/get_pip_standin.py" "${target}"; }; then
    cp "${here}/get_pip_standin.py" "${target}"
    echo "installed get-pip stand-in for pip ${pip_version}: ${target}"
fi
