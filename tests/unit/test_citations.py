# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The code's citations of Semaphore's behaviour resolve to documents the repository ships.

``§6.1`` cites a section of docs/server-behaviour.md, ``findings a`` (also ``findings b/h``,
``findings a, e``) a note of docs/real-server-findings.md. Notes kept outside the repository must not
be named: a reader of the collection could not open them. Plain pytest, no Ansible imports; run by
``make units`` (ansible-test units collects every tests/unit/**/test_*.py).
"""

from __future__ import absolute_import, division, print_function

import os
import re

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BEHAVIOUR_DOC = os.path.join('docs', 'server-behaviour.md')
FINDINGS_DOC = os.path.join('docs', 'real-server-findings.md')

# Where citations may appear, relative to the repository root.
SCANNED_DIRS = ('plugins', 'tests', 'hack', 'bench')
SCANNED_FILES = ('Makefile', 'README.md')
# Generated or copied trees, never scanned: build/ anywhere, ansible-test's tests/output/.
SKIPPED_DIRS = ('build', '__pycache__', '.pytest_cache')
SKIPPED_PATHS = (os.path.join('tests', 'output'),)

SECTION = re.compile(u'\u00a7 ?(\\d+(?:\\.\\d+)?)')
SECTION_HEADING = re.compile(u'^#{2,3} \u00a7(\\d+(?:\\.\\d+)?) ', re.M)
# "findings a", "finding b", "findings b/h", "findings a, e", "findings a and e".
FINDINGS = re.compile(r'[Ff]indings? ([a-z])\b((?:\s*(?:/|,|and)\s*[a-z]\b)*)')
FINDINGS_MORE = re.compile(r'(?:/|,|and)\s*([a-z])\b')
FINDINGS_PLACEHOLDER = re.compile(r'findings x: docs/real-server-findings\.md')
FINDING_HEADING = re.compile(r'^## ([a-z])\. ', re.M)
# Notes outside the repository, by the names they had there ("real-server-findings.md" is ours).
OUTSIDE_NOTES = re.compile(r'API-BEHAVIOUR|[Ff][Ii][Nn][Dd][Ii][Nn][Gg][Ss]\.[Mm][Dd]')


def _in_word(text, offset, also=''):
    """Whether ``text[offset]`` continues a word (or follows one of ``also``)."""
    return offset > 0 and (text[offset - 1].isalnum() or text[offset - 1] in '_' + also)


def _relative(path):
    return os.path.relpath(path, REPO)


def scanned_files():
    """Every text file in the scanned places, as (relative path, text), this file excepted."""
    paths = [os.path.join(REPO, name) for name in SCANNED_FILES if os.path.isfile(os.path.join(REPO, name))]
    for top in SCANNED_DIRS:
        for root, dirs, files in os.walk(os.path.join(REPO, top)):
            dirs[:] = sorted(name for name in dirs
                             if name not in SKIPPED_DIRS and _relative(os.path.join(root, name)) not in SKIPPED_PATHS)
            paths.extend(os.path.join(root, name) for name in sorted(files))
    this_file = os.path.abspath(__file__)
    for path in paths:
        if os.path.abspath(path) == this_file or os.path.islink(path):
            continue
        with open(path, 'rb') as handle:
            data = handle.read()
        if b'\0' in data:
            continue
        try:
            text = data.decode('utf-8')
        except UnicodeDecodeError:
            continue
        yield _relative(path), text


def _places(pattern_hits):
    """``{key: ['path:line', ...]}`` from an iterable of (key, path, text, offset)."""
    places = {}
    for key, path, text, offset in pattern_hits:
        places.setdefault(key, []).append('{0}:{1}'.format(path, text.count('\n', 0, offset) + 1))
    return places


def _read_doc(name):
    path = os.path.join(REPO, name)
    if not os.path.isfile(path):
        pytest.fail('{0} is missing'.format(name))
    with open(path, 'rb') as handle:
        return handle.read().decode('utf-8')


def section_citations():
    for path, text in scanned_files():
        for match in SECTION.finditer(text):
            yield match.group(1), path, text, match.start()


def findings_citations():
    for path, text in scanned_files():
        text = FINDINGS_PLACEHOLDER.sub(lambda match: ' ' * len(match.group(0)), text)
        for match in FINDINGS.finditer(text):
            if _in_word(text, match.start()):
                continue  # "Bfindings a", not a citation
            letters = [match.group(1)] + FINDINGS_MORE.findall(match.group(2))
            for letter in letters:
                yield letter, path, text, match.start()


def _unresolved(cited, known):
    return ['{0} (cited at {1})'.format(key, ', '.join(places[:5] + (['...'] if len(places) > 5 else [])))
            for key, places in sorted(cited.items()) if key not in known]


def test_scan_finds_the_sources():
    """A guard: the scan must see the collection's code, or the other tests prove nothing."""
    paths = [path for path, _text in scanned_files()]
    assert os.path.join('plugins', 'module_utils', '_client.py') in paths
    assert any(path.startswith(os.path.join('tests', 'simulator')) for path in paths)


def _check_resolved(kind, citations, heading, doc):
    """Every citation of ``kind`` found by ``citations()`` has its ``heading`` in ``doc``."""
    headings = set(heading.findall(_read_doc(doc)))
    cited = _places(citations())
    assert cited, 'no {0} citation found at all: the scan is broken'.format(kind)
    unresolved = _unresolved(cited, headings)
    assert not unresolved, '{0} cited but not in {1}:\n  {2}'.format(kind, doc, '\n  '.join(unresolved))


def test_section_citations_resolve():
    """Every ``§n`` / ``§n.m`` cited has a ``## §n`` / ``### §n.m`` heading in docs/server-behaviour.md."""
    _check_resolved('sections', section_citations, SECTION_HEADING, BEHAVIOUR_DOC)


def test_findings_citations_resolve():
    """Every ``findings x`` cited has a ``## x. ...`` heading in docs/real-server-findings.md."""
    _check_resolved('findings', findings_citations, FINDING_HEADING, FINDINGS_DOC)


def test_no_mention_of_notes_outside_the_repository():
    """The behaviour reference and the real-server notes are cited only through docs/."""
    mentions = ['{0}:{1}: {2}'.format(path, text.count('\n', 0, match.start()) + 1, match.group(0))
                for path, text in scanned_files() for match in OUTSIDE_NOTES.finditer(text)
                if not (match.group(0).lower() == 'findings.md' and _in_word(text, match.start(), '-'))]
    assert not mentions, 'name docs/server-behaviour.md or docs/real-server-findings.md instead:\n  {0}'.format(
        '\n  '.join(mentions))


@pytest.mark.parametrize('doc, heading', [(BEHAVIOUR_DOC, SECTION_HEADING), (FINDINGS_DOC, FINDING_HEADING)])
def test_doc_headings_are_unique(doc, heading):
    """Each section number or letter is a heading once, so a citation has one target."""
    found = heading.findall(_read_doc(doc))
    assert found and len(found) == len(set(found)), sorted(key for key in set(found) if found.count(key) > 1)
