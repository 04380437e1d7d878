# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Run a module's main() with arguments and a scripted server; return its exit code and JSON."""

from __future__ import annotations

import json

import pytest
from requests.adapters import HTTPAdapter

from ansible.module_utils.testing import patch_module_args

from ansible_collections.semaphore.api.tests.unit.plugins.module_utils.fake_http import ScriptedAdapter


@pytest.fixture
def run_module(monkeypatch, capsys):
    """``run_module(main, args, script)`` -> (rc, result, adapter). The HTTP transport is the only seam."""
    def runner(main, args, script):
        adapter = ScriptedAdapter(script)
        monkeypatch.setattr(HTTPAdapter, 'send', lambda self, request, **kwargs: adapter.send(request, **kwargs))
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exited:
                main()
        result = json.loads(capsys.readouterr().out)
        return exited.value.code or 0, result, adapter
    return runner
