# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run a module with arguments and a scripted server, on either path; return its exit code and result."""

from __future__ import annotations

import json

import pytest
from requests.adapters import HTTPAdapter

from ansible.module_utils.testing import patch_module_args

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
