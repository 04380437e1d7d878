# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run a module with arguments and a scripted server, on either path; return its exit code and result."""

from __future__ import annotations

import contextlib
import json

import pytest
from requests.adapters import HTTPAdapter

from ansible.module_utils import basic
from ansible.module_utils.common import warnings as module_warnings

try:
    from ansible.module_utils import _internal as module_internal
except ImportError:  # ansible-core before 2.19
    module_internal = None

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core before 2.19 reads the arguments from basic._ANSIBLE_ARGS
    @contextlib.contextmanager
    def patch_module_args(args):
        saved = basic._ANSIBLE_ARGS
        basic._ANSIBLE_ARGS = json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode()
        try:
            yield
        finally:
            basic._ANSIBLE_ARGS = saved

from ansible_collections.semaphore.api.plugins.plugin_utils._controller import ControllerModule, ModuleExit
from ansible_collections.semaphore.api.tests.unit.plugins.module_utils.fake_http import ScriptedAdapter


def _scripted(monkeypatch, script):
    adapter = ScriptedAdapter(script)
    monkeypatch.setattr(HTTPAdapter, 'send', lambda self, request, **kwargs: adapter.send(request, **kwargs))
    return adapter


@pytest.fixture
def run_module(monkeypatch, capsys):
    """``run_module(main, args, script)`` -> (rc, result, adapter). The HTTP transport is the only seam."""
    def runner(main, args, script):
        adapter = _scripted(monkeypatch, script)
        # A module process starts with no warnings (here earlier runs left theirs), and is no controller:
        # once a test has loaded the controller (the action plugin), ansible-core 2.19+ would send a
        # module's warnings to the controller's display instead of its result.
        for name in ('_global_warnings', '_global_deprecations'):
            getattr(module_warnings, name, {}).clear()
        if getattr(module_internal, 'is_controller', None) is not None:
            monkeypatch.setattr(module_internal, 'is_controller', False)
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exited:
                main()
        result = json.loads(capsys.readouterr().out)
        return exited.value.code or 0, result, adapter
    return runner


@pytest.fixture
def run_in_controller(monkeypatch):
    """``run_in_controller(module_file, args, script, **options)`` -> (rc, result, adapter): the module's
    run function with a ControllerModule, as the action plugin calls it in the controller's process."""
    def runner(module_file, args, script, **options):
        adapter = _scripted(monkeypatch, script)
        name = 'semaphore.api.' + module_file.__name__.rsplit('.', 1)[1]
        with pytest.raises(ModuleExit) as exited:
            module_file.run_module(ControllerModule(module_file.SPEC, args, name, **options))
        result = exited.value.result
        return (1 if result.get('failed') else 0), result, adapter
    return runner
