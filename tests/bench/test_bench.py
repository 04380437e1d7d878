"""`make bench` without running it: its case table, its budgets and its report (bench/).

    .venv/bin/python -m pytest -q tests/bench
"""
from __future__ import annotations

import cases
import pytest
import report
import runner
from cases import Budget


class FakeResults:
    """What bench/runner.py's Results offers the report: rows by key."""

    def __init__(self, rows):
        self.rows = rows

    def of(self, key):
        return [row for row in self.rows if row["key"] == key]


def test_templates_are_the_seeds():
    """Every template the cases name is in the seed's project, and the ids and durations come from there."""
    names = {cases.PARALLEL, cases.BIG, cases.LIVE} | {case.template for case in cases.LONG_CASES}
    assert names <= set(runner.TEMPLATE_IDS)
    assert runner.DURATIONS["Bench 2s"] == 2 and runner.DURATIONS[cases.LIVE] == 30
    assert runner.PROJECT_ID == 1 and runner.ADMIN[0] == "admin"


def test_case_table_is_well_formed():
    assert cases.LONG_CASES and len({case.template for case in cases.LONG_CASES}) == len(cases.LONG_CASES)
    modes = {mode for mode, dummy in cases.MODES}
    for case in cases.LONG_CASES:
        assert case.runs >= 1 and case.stagger >= 0 and case.label
        assert set(case.budgets) <= modes, case
    budgets = [budget for case in cases.LONG_CASES for budget in case.budgets.values()]
    budgets += [budget for *dummy, budget in cases.LAUNCHES if budget]
    budgets += [cases.LOOP_CONTROLLER_BUDGET, cases.LOOP_MODULE_VS_URI_BUDGET, cases.BIG_INFO_BUDGET,
                cases.BIG_TASK_BUDGET] + [budget for budget in cases.LIVE_BUDGETS.values() if budget]
    for budget in budgets:
        assert budget.text and budget.limits, budget
        for name, compare, dummy in budget.limits:
            assert compare in ("<=", "<", ">=", "==") and name in (
                "requests_max", "lag", "ratio", "speedup", "seconds", "rss", "delay", "kept"), budget
    for label, key, (reference_label, reference_key), dummy in cases.LAUNCHES:
        assert label and reference_label and isinstance(key, tuple) and isinstance(reference_key, tuple)


def test_budget_check_can_fail():
    budget = Budget("<= 6 requests, lag <= 0.3 s", (("requests_max", "<=", 6), ("lag", "<=", 0.3)))
    assert budget.check({"requests_max": 6, "lag": 0.3}) is True
    assert budget.check({"requests_max": 7, "lag": 0.1}) is False
    assert budget.check({"requests_max": 6, "lag": 0.31}) is False
    assert budget.check({"requests_max": 6}) is None  # a figure missing: n/a
    assert budget.check({"requests_max": 9}) is False  # failing wins over missing
    assert cases.BIG_INFO_BUDGET.check({"seconds": 3.0, "rss": 90, "kept": True}) is False  # strictly below
    assert cases.BIG_INFO_BUDGET.check({"seconds": 2.9, "rss": 90, "kept": False}) is False
    assert cases.LOOP_CONTROLLER_BUDGET.check({"speedup": 4.9}) is False
    assert cases.LOOP_CONTROLLER_BUDGET.check({"speedup": 5.0}) is True


def _rows():
    rows = []
    for key in {case[1] for case in cases.LAUNCHES} | {("uri", "launch"), ("debug",)}:
        rows += [dict(key=key, wall=1.0, requests=1)] * 2
    rows += [dict(key=("base", "launch"), wall=0.5, requests=1), dict(key=("base", "launch"), wall=1.0, requests=1)]
    for case in cases.LONG_CASES:
        rows.append(dict(key=("socket", case.template, "controller"), lag=0.2, requests=5, wall=3.0))
        rows.append(dict(key=("never", case.template, "module"), lag=9.0, requests=40, wall=3.0))
    rows += [dict(key=("loop", "controller"), wall=2.0, requests=50, per_item=0.01),
             dict(key=("loop", "module"), wall=30.0, requests=50, per_item=0.6),
             dict(key=("loop", "uri"), wall=30.0, requests=50, per_item=0.6),
             dict(key=("loop", "base"), wall=0.4, requests=50)]
    for wanted in cases.BIG_OUTPUT_LINES:
        kept = wanted if wanted > 0 else cases.BIG_LINES - 10
        rows += [dict(key=("big", "info", wanted), wall=2.5, rss=90.0, requests=2, kept=kept),
                 dict(key=("big", "base", wanted), wall=2.0, rss=91.0, requests=1, kept=kept),
                 dict(key=("big", "task", wanted), wall=6.0, rss=91.0, requests=8, kept=kept, lag=4.0)]
    rows.append(dict(key=("live", True), lines=25, stored=25, median=0.03, max=0.12, requests=6))
    return rows


def test_report_renders_fake_figures():
    lines = report.build_table(FakeResults(_rows()))
    assert lines[:2] == list(report.Table.HEAD)
    by_case = {line.split(" | ")[0][2:]: line for line in lines[2:]}
    launch = by_case["Launch only (wait: false), by id, token"]
    assert launch == ("| Launch only (wait: false), by id, token | 2 | 1 | time 1.00 s | requests script 0.75 s | 1.33x "
                      "| 1 request (the launch) | met |")
    assert by_case["Launch only (wait: false), by name, password"].endswith("| - |  |")  # no budget, no verdict
    first = cases.LONG_CASES[0]
    assert "lag 0.20 s (max 0.20 s)" in by_case[f"Launch + wait {first.label} task, token, websocket, controller path"]
    loop = by_case[f"{cases.LOOP_SIZE} launches in a playbook loop (semaphore_task, controller path)"]
    assert "| 60.00x faster | >= 5x faster per item than uri | met |" in loop
    big = next(line for case, line in by_case.items() if case.startswith("100 000 lines, semaphore_task_info, default"))
    assert "kept 200" in big and big.endswith("| < 3 s, < 300 MB, only the lines asked for | met |")
    task = next(line for case, line in by_case.items() if "launch + wait (websocket), output_lines: -1" in case)
    assert task.endswith("| < 3 s after end, < 300 MB | MISSED |")  # lag 4 s
    assert by_case["Live output of a 30 s task, websocket: 25 of 25 lines shown"].endswith("| median <= 1 s | met |")


@pytest.mark.skipif(cases.QUICK, reason="BENCH_QUICK leaves out the 30 s and 120 s cases")
def test_report_budget_misses_show():
    lines = report.build_table(FakeResults(_rows()))
    never = next(line for line in lines if line.startswith("| Launch + wait 30 s task, token, no websocket, never ran"))
    assert never.endswith("| 40 | lag 9.00 s (max 9.00 s) | - | - | <= 15 requests, lag <= 2.0 s | MISSED |")
    assert any(line.startswith("| (peer `until` loop") for line in lines)


def test_report_with_nothing_measured():
    """A run whose cases all failed still renders: '-' figures, n/a verdicts."""
    lines = report.build_table(FakeResults([]))
    launch = next(line for line in lines if line.startswith("| Launch only (wait: false), by id, token |"))
    assert launch == "| Launch only (wait: false), by id, token | 0 | - | time - | requests script - | - | 1 request (the launch) | n/a |"
