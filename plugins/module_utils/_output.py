# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This module_utils file is private to the semaphore.api collection: its API may change without notice.

"""A task's output: reading it once it is stored, cleaning it, its order, and its PLAY RECAP.

§n: sections of docs/server-behaviour.md; findings x: docs/real-server-findings.md.
Why a failed task failed is read from these lines by module_utils/_failure.py.
"""

from __future__ import annotations

import re
import time

_ANSI = re.compile(r'\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]')
_RECAP_HEADER = re.compile(r'^PLAY RECAP\b')
_RECAP_LINE = re.compile(r'^(?P<host>\S+)\s*:\s*(?P<counts>(?:\w+=\d+\s*)+)$')
RECAP_KEYS = ('ok', 'changed', 'unreachable', 'failed', 'skipped', 'rescued', 'ignored')
# Counts every recap line has; a task's own ``key=1`` output never has them all.
_RECAP_REQUIRED = ('ok=', 'changed=', 'unreachable=', 'failed=')

# The server stores output in batches about every 500 ms, so a task's last lines (its PLAY RECAP)
# can be readable only this long after its end (§6.4).
OUTPUT_SETTLE = 0.6
# How long, at most, to keep reading an Ansible run's output that still grows and has no recap yet.
OUTPUT_GROWTH_WAIT = 10.0


def strip_ansi(text):
    return _ANSI.sub('', text or '').replace('\r', '')


def output_raw_texts(raw_lines):
    """Output lines (the server's ``[{output, time, ...}]``) as the strings the server sent."""
    return [line.get('output') if isinstance(line, dict) else str(line) for line in raw_lines or []]


def output_text_lines(raw_lines):
    """Output lines as plain strings without ANSI codes."""
    return [strip_ansi(text) for text in output_raw_texts(raw_lines)]


def bound_lines(lines, output_lines):
    """The last ``output_lines`` lines; -1 keeps all, 0 keeps none."""
    if output_lines is None or output_lines < 0:
        return list(lines)
    if output_lines == 0:
        return []
    return list(lines[-output_lines:])


def parse_recap(lines):
    """``{host: {ok, changed, unreachable, failed, skipped, rescued, ignored}}`` from the PLAY RECAP.

    Returns None when the output holds no recap (not an Ansible run, or the run died before it).
    The recap's host lines are recognised by their shape wherever they stand after the last play's
    start, not only right under the header: Semaphore 2.10 on MySQL returns the lines of one
    second in any order, and a recap can come back split around its header.
    """
    headers = [index for index, line in enumerate(lines) if _RECAP_HEADER.match(line.strip())]
    if not headers:
        return None
    # Several recaps (several runs in one task): the last one counts, read below its header.
    plays = [index for index, line in enumerate(lines[:headers[-1]]) if line.strip().startswith('PLAY [')]
    start = headers[-1] if len(headers) > 1 else (plays[-1] if plays else 0)
    recap = {}
    for line in lines[start:]:
        host_counts = _recap_host_counts(line)
        if host_counts is not None:
            recap[host_counts[0]] = host_counts[1]
    return recap


def _recap_host_counts(text):
    """``(host, counts)`` for a PLAY RECAP host line, else None."""
    match = _RECAP_LINE.match(text.strip())
    if not match or not all(key in match.group('counts') for key in _RECAP_REQUIRED):
        return None
    counts = dict((key, 0) for key in RECAP_KEYS)
    for pair in match.group('counts').split():
        key, value = pair.split('=', 1)
        counts[key] = int(value)
    return match.group('host'), counts


def order_output(raw, streamed=None):
    """``(rows, reordered)``: the output rows in the order the task printed them, as far as known.

    Semaphore 2.10 on MySQL/MariaDB stores ``time`` in whole seconds and orders ``/output`` by it
    alone: lines of one second come back shuffled (seen on a real 2.10.32 + MariaDB). When the
    websocket streamed every line, its order is the true one. Otherwise the PLAY RECAP block (and
    Semaphore's own closing line) is put back at the end so that the tail reads right; the order of
    other lines within a second stays unknown, which ``reordered`` tells.
    """
    times = [row.get('time') for row in raw if isinstance(row, dict)]
    if len(times) < 2 or any(not isinstance(stamp, str) or '.' in stamp for stamp in times) or len(set(times)) == len(times):
        return raw, False
    if streamed and len(streamed) == len(raw) and sorted(streamed) == sorted(output_raw_texts(raw)):
        return [{'output': line} for line in streamed], False
    texts = output_text_lines(raw)
    block = [index for index, text in enumerate(texts)
             if _RECAP_HEADER.match(text.strip()) or _recap_host_counts(text) or text.startswith('Running app failed')]
    if not block:
        return raw, True
    key = {index: (0 if _RECAP_HEADER.match(texts[index].strip()) else 2 if texts[index].startswith('Running app') else 1,
                   texts[index]) for index in block}
    chosen = set(block)
    rows = [row for index, row in enumerate(raw) if index not in chosen]
    rows.extend(raw[index] for index in sorted(block, key=key.get))
    return rows, True


def has_recap(lines):
    return parse_recap(lines) is not None


def _recap_in_tail(raw):
    """Whether the last lines of the output, put in order, hold a PLAY RECAP."""
    return has_recap(output_text_lines(order_output(raw)[0][-60:]))


def fetch_output(client, project_id, task, timeout=None, settle=0.5, sleep=time.sleep, streamed=None):
    """The output of a finished task, read once.

    The server stores output in batches about every 500 ms, so its last lines can trail the final
    status (§6.4). When an Ansible run's PLAY RECAP is missing, the tail is taken from
    ``streamed`` (every line the websocket pushed, when complete and consistent with what was
    read), else the output is read again after ``settle`` seconds, and again while it grows.
    """
    raw = client.get_task_output(project_id, task['id'], timeout=timeout)
    ansible = task.get('status') in ('success', 'error') and _looks_like_ansible(raw)
    if not ansible or _recap_in_tail(raw):
        return raw
    if streamed and len(streamed) > len(raw) and has_recap(output_text_lines(streamed[-60:])):
        stored = output_text_lines(raw)
        if stored == output_text_lines(streamed[:len(raw)]):
            return list(raw) + [{'output': line} for line in streamed[len(raw):]]
    # Semaphore 2.10 stores lines one by one after the run: a large output can still be growing
    # seconds after ``end`` (2-4 s for 4 000 lines on a real 2.10.32). Read again while it grows.
    waited = 0.0
    while settle and waited < OUTPUT_GROWTH_WAIT:
        sleep(settle)
        waited += settle
        again = client.get_task_output(project_id, task['id'], timeout=timeout)
        grew = len(again) > len(raw)
        raw = again
        if not grew or _recap_in_tail(raw):
            break
        settle = min(settle * 2, 2.0)
    return raw


def _looks_like_ansible(raw):
    for line in raw or []:
        text = line.get('output') if isinstance(line, dict) else str(line)
        if text and (text.startswith('PLAY [') or text.startswith('TASK [')):
            return True
    return False
