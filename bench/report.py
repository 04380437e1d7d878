# -*- coding: utf-8 -*-
# Copyright (c) semaphore.api contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""The table of `make bench` (bench/run.py) from measured rows: medians, ratios, and each case's budget
verdict as its Budget (bench/cases.py) decides; no limit is written here.

``results.of(key)`` gives the rows of one case: dicts with some of wall, requests, lag, per_item, rss,
kept, lines, stored, median, max (see bench/runner.py).
"""

from __future__ import annotations

import statistics

import cases


def med(rows, field):
    values = [row[field] for row in rows if row.get(field) is not None]
    return statistics.median(values) if values else None


def fmt(value, unit='', digits=2):
    if value is None:
        return '-'
    if isinstance(value, (int,)) or (isinstance(value, float) and value.is_integer() and unit == ''):
        return '{0}{1}'.format(int(value), unit)
    return '{0:.{1}f}{2}'.format(value, digits, unit)


def ratio(numerator, denominator):
    return numerator / denominator if numerator and denominator else None


def most_requests(rows):
    values = [row['requests'] for row in rows if row.get('requests') is not None]
    return max(values) if values else None


def requests_cell(rows):
    values = [row['requests'] for row in rows if row.get('requests') is not None]
    if not values:
        return '-'
    low, high, middle = min(values), max(values), statistics.median(values)
    return fmt(middle) if low == high else '{0} ({1}-{2})'.format(fmt(middle), low, high)


def verdict(ok):
    return 'n/a' if ok is None else ('met' if ok else 'MISSED')


def kept_all(rows, wanted):
    """Every run kept the lines asked for (``wanted`` -1: all of BIG's, less the last batch's few)."""
    if wanted < 0:
        return bool(rows) and all(abs(row['kept'] - cases.BIG_LINES) <= cases.BIG_ALL_SLACK for row in rows)
    return bool(rows) and all(row['kept'] == wanted for row in rows)


class Table:
    """The rows of the table, each with its budget's verdict."""

    HEAD = ('| Case | Runs | Requests: median (range) | Median figure | Baseline / floor | Ratio | Budget | |',
            '|' + '---|' * 8)

    def __init__(self):
        self.lines = list(self.HEAD)

    def row(self, case, rows, figure, base='-', ratio_text='-', budget=None, figures=None):
        self.lines.append('| {0} | {1} | {2} | {3} | {4} | {5} | {6} | {7} |'.format(
            case, len(rows), requests_cell(rows), figure, base, ratio_text, budget.text if budget else '-',
            verdict(budget.check(figures or {})) if budget else ''))

    def note(self, text):
        self.lines.append('| ({0}) | | | | | | | |'.format(text))


def build_table(results):
    """The markdown table of one bench run, as lines."""
    table = Table()
    _launches(table, results)
    _waits(table, results)
    _loops(table, results)
    _big(table, results)
    _live(table, results)
    return table.lines


def _launches(table, results):
    for label, key, (reference_label, reference_key), budget in cases.LAUNCHES:
        rows = results.of(key)
        wall, reference = med(rows, 'wall'), med(results.of(reference_key), 'wall')
        table.row(label, rows, 'time {0}'.format(fmt(wall, ' s')), '{0} {1}'.format(reference_label, fmt(reference, ' s')),
                  fmt(ratio(wall, reference), 'x'), budget,
                  {'requests_max': most_requests(rows), 'ratio': ratio(wall, reference)})


def _waits(table, results):
    for case in cases.LONG_CASES:
        for mode, label in cases.MODES:
            for path in cases.PATHS:
                rows = results.of((mode, case.template, path))
                if not rows:
                    continue
                lag = med(rows, 'lag')
                table.row('Launch + wait {0} task, token, {1}, {2} path'.format(case.label, label, path), rows,
                          'lag {0} (max {1})'.format(fmt(lag, ' s'), fmt(max(row['lag'] for row in rows), ' s')),
                          budget=case.budgets.get(mode), figures={'requests_max': most_requests(rows), 'lag': lag})
    if any(case.template == cases.LIVE for case in cases.LONG_CASES):
        table.note(cases.PEER_NOTE)


def _loops(table, results):
    size = cases.LOOP_SIZE
    controller, module, uri, base = (results.of(('loop', kind)) for kind in ('controller', 'module', 'uri', 'base'))
    cw, mw, uw, bw = (med(rows, 'wall') for rows in (controller, module, uri, base))
    ci, mi, ui = (med(rows, 'per_item') for rows in (controller, module, uri))
    table.row('{0} launches in a playbook loop (semaphore_task, controller path)'.format(size), controller,
              'total {0}, {1}/item'.format(fmt(cw, ' s'), fmt(ci, ' s', 3)), 'uri {0}/item'.format(fmt(ui, ' s', 3)),
              fmt(ratio(ui, ci), 'x faster'), cases.LOOP_CONTROLLER_BUDGET, {'speedup': ratio(ui, ci)})
    table.row('{0} launches in a playbook loop (semaphore_task, module path)'.format(size), module,
              'total {0}, {1}/item'.format(fmt(mw, ' s'), fmt(mi, ' s', 3)), 'requests script {0}'.format(fmt(bw, ' s')),
              fmt(ratio(mw, bw), 'x'))
    table.row('{0} launches in a playbook loop (ansible.builtin.uri, floor)'.format(size), uri,
              'total {0}, {1}/item'.format(fmt(uw, ' s'), fmt(ui, ' s', 3)), 'requests script {0}'.format(fmt(bw, ' s')),
              fmt(ratio(uw, bw), 'x'))
    table.row('Module path vs one uri call (per loop item)', module, '{0}/item'.format(fmt(mi, ' s', 3)),
              'uri {0}/item'.format(fmt(ui, ' s', 3)), fmt(ratio(mi, ui), 'x'), cases.LOOP_MODULE_VS_URI_BUDGET,
              {'ratio': ratio(mi, ui)})


def _big(table, results):
    for wanted in cases.BIG_OUTPUT_LINES:
        label = ('default output_lines ({0})'.format(wanted) if wanted == cases.DEFAULT_OUTPUT_LINES
                 else 'output_lines: {0} (all)'.format(wanted))
        title = '{0} lines'.format('{0:,}'.format(cases.BIG_LINES).replace(',', ' '))
        rows, base = results.of(('big', 'info', wanted)), results.of(('big', 'base', wanted))
        wall, rss, bwall = med(rows, 'wall'), med(rows, 'rss'), med(base, 'wall')
        table.row('{0}, semaphore_task_info, {1}: kept {2}'.format(title, label, fmt(med(rows, 'kept'))), rows,
                  'time {0}, peak {1}'.format(fmt(wall, ' s'), fmt(rss, ' MB', 0)),
                  'requests script {0}, peak {1}'.format(fmt(bwall, ' s'), fmt(med(base, 'rss'), ' MB', 0)),
                  fmt(ratio(wall, bwall), 'x'), cases.BIG_INFO_BUDGET,
                  {'seconds': wall, 'rss': rss, 'kept': kept_all(rows, wanted)})
        for key, path in ((('big', 'task', wanted), 'module path'),
                          (('big', 'task', wanted, 'controller'), 'controller path, whole ansible command')):
            rows = results.of(key)
            if rows:
                lag, rss = med(rows, 'lag'), med(rows, 'rss')
                table.row('{0}, semaphore_task launch + wait (websocket), {1}, {2}: kept {3}'.format(
                    title, label, path, fmt(med(rows, 'kept'))), rows,
                    'after end {0}, peak {1}'.format(fmt(lag, ' s'), fmt(rss, ' MB', 0)), budget=cases.BIG_TASK_BUDGET,
                    figures={'lag': lag, 'rss': rss, 'kept': kept_all(rows, wanted)})


def _live(table, results):
    for socket in cases.LIVE_SOCKETS:
        rows = results.of(('live', socket))
        if rows:
            first = rows[0]
            table.row('Live output of a 30 s task, {0}: {1} of {2} lines shown'.format(
                'websocket' if socket else 'no websocket (read at the poll times)', first['lines'], first['stored']), rows,
                'delay median {0}, max {1}'.format(fmt(first['median'], ' s'), fmt(first['max'], ' s')),
                budget=cases.LIVE_BUDGETS[socket], figures={'delay': first['median']})
