# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one version table, and the house rules that keep it the only one (and functions short)."""

from __future__ import annotations

import ast
import pathlib

import pytest

from ansible_collections.semaphore.api.plugins.module_utils._versions import SINCE, at_least, older_than, shown, since

PLUGINS = pathlib.Path(__file__).resolve().parents[4] / 'plugins'
MAX_FUNCTION_LINES = 50


def plugin_files():
    files = sorted(PLUGINS.rglob('*.py'))
    assert len(files) > 10, 'plugins/ not found at {0}'.format(PLUGINS)
    return files


@pytest.mark.parametrize('version, feature, expected', [
    ((2, 10, 30), 'task_git_branch', False),
    ((2, 10, 31), 'task_git_branch', True),
    ((2, 11, 0), 'task_git_branch', True),
    ((2, 9, 64), 'task_params', False),
    ((2, 11, 0), 'task_params', True),
    ((2, 13, 9), 'flags_in_params_only', False),
    ((2, 14, 0), 'flags_in_params_only', True),
    ((2, 17, 39), 'token_names', False),
    ((2, 18, 2), 'token_names', True),
    ((3, 0, 0), 'token_names', True),
    (None, 'token_names', True),            # a source build: the newest behaviour
])
def test_at_least_compares_numbers_not_strings(version, feature, expected):
    assert at_least(version, feature) is expected
    assert older_than(version, feature) is (not expected)


def test_every_feature_has_a_release_tuple():
    for feature, first in SINCE.items():
        assert isinstance(first, tuple) and 2 <= len(first) <= 3 and all(isinstance(part, int) for part in first), feature
        assert since(feature) == first


def test_an_unknown_feature_is_an_error_not_a_silent_yes():
    with pytest.raises(KeyError):
        at_least((2, 16, 0), 'no_such_feature')


def test_versions_are_shown_as_users_write_them():
    assert shown((2, 10, 31)) == '2.10.31'
    assert shown((2, 16)) == '2.16'
    assert shown(None) == 'unknown'


def _is_int(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool)


def version_comparisons(source):
    """``[(line, why)]`` for each place in ``source`` that compares a server version by hand."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Tuple) and len(node.elts) >= 2 and all(_is_int(item) for item in node.elts) and node.elts[0].value == 2:
            found.append((node.lineno, 'a release tuple'))
        elif isinstance(node, ast.Compare) and any(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for op in node.ops):
            if 'version' in ast.unparse(node).lower():
                found.append((node.lineno, 'an ordering comparison of a version'))
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice) and 'version' in ast.unparse(node.value).lower():
            found.append((node.lineno, 'a slice of a version'))
    return found


@pytest.mark.parametrize('source', [
    'if version[:2] >= (2, 14):\n    pass',
    'top_level = server_version < minimum',
    'SINCE = (2, 11)',
])
def test_the_stray_finder_finds_hand_made_comparisons(source):
    assert version_comparisons(source)


def test_the_version_table_is_the_only_place_that_compares_versions():
    strays = []
    for path in plugin_files():
        if path.name == '_versions.py':
            continue
        strays.extend('{0}:{1}: {2}'.format(path.relative_to(PLUGINS), line, why)
                      for line, why in version_comparisons(path.read_text(encoding='utf-8')))
    assert not strays, 'use module_utils/_versions.py instead:\n' + '\n'.join(strays)


def test_no_function_in_plugins_is_longer_than_fifty_lines():
    long_ones = []
    for path in plugin_files():
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long_ones.append('{0}: {1} ({2} lines)'.format(path.relative_to(PLUGINS), node.name, length))
    assert not long_ones, 'split these by job:\n' + '\n'.join(long_ones)
