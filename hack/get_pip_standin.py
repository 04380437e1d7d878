"""Offline stand-in for pip's ``get-pip.py`` bootstrap script, used by ansible-test.

ansible-test bootstraps pip into each sanity/units virtual environment by running
``~/.ansible/test/cache/get_pip_<version>.py`` (downloaded from a host outside the package
registries when it is missing).  This machine reaches only the registries, so we put this file
there instead (``hack/install-get-pip.sh``).  ansible-test runs it as ``__main__`` with pip
arguments such as ``--disable-pip-version-check pip==24.2 --no-setuptools --no-wheel``.

What it does:
1. ``python -m ensurepip`` in a *subprocess*: run in-process, ensurepip drops the CA settings
   that the following install needs.
2. ``python -m pip install --upgrade <args>`` without get-pip's own ``--no-setuptools`` /
   ``--no-wheel`` flags, which pip does not know.
3. When ``--no-setuptools`` was asked for, remove the setuptools that ensurepip brought.
"""

import subprocess
import sys

GET_PIP_ONLY_FLAGS = ('--no-setuptools', '--no-wheel')


def run(*args):
    """Run ``python <args>`` and stop with its exit code when it fails."""
    result = subprocess.run((sys.executable,) + args, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def main():
    args = sys.argv[1:]
    pip_args = [arg for arg in args if arg not in GET_PIP_ONLY_FLAGS]

    run('-m', 'ensurepip', '--upgrade', '--default-pip')
    run('-m', 'pip', 'install', '--upgrade', *pip_args)

    if '--no-setuptools' in args:
        subprocess.run((sys.executable, '-m', 'pip', 'uninstall', '--yes', '--quiet', 'setuptools'), check=False)


if __name__ == '__main__':
    main()
