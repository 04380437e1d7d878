"""Replay the recorded scenario against the simulator and compare it with what a real server did.

``tests/simulator/recordings/record.py`` recorded ``SCENARIO`` against a real Semaphore into
``recordings/<version>-<backend>/``; this test runs the very same scenario (imported, one code path)
against the simulator and compares per exchange: status, body kind (json/empty/text), headers that
matter, key sets and JSON types (not values), the status of task reads whose status is not a matter
of timing, and the order of the websocket ``update`` events. A difference the simulator cannot
match is named in ``EXCEPTIONS`` with its reason; anything else fails.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from conftest import PASSWORDS, SIM_ROOT, Sim

RECORDINGS = SIM_ROOT / "recordings"
REAL_2_10 = RECORDINGS / "2.10.32-bolt"
# The resources group recorded again on a real 2.10.32 with MariaDB (§13: SQL and BoltDB differ there).
REAL_2_10_MARIADB = RECORDINGS / "2.10.32-mariadb"

# name -> (reason, step pattern, JSON path pattern, difference pattern). A shape difference is
# excused only when all three patterns match (full match); each name must excuse at least one
# difference of the run, or it is stale and the test fails.
EXCEPTIONS: dict[str, tuple[str, str, str, str]] = {
    "seed-nulls": ("the seeds differ: the simulator's Deploy app has a description and a git_branch, the "
                   "real one has neither", r"templates?", r"\$(\[\])?\.(description|git_branch)",
                   r"real null, simulator str"),
    "row-data": ("list rows are different objects on the two servers (the real one is shared and ran other "
                 "people's tasks; its inventory Local has a holder): a nullable field null in one row and "
                 "set in the other is data, not shape", r".*", r"\$\[\]\..+",
                 r"real null, simulator .*|real .*, simulator null"),
    "stop-timing": ("a GET right after a plain stop: the real kill failed the run within milliseconds (end "
                    "set), the simulator keeps its end-of-task window (--final-status-delay, --end-delay) "
                    "that clients are tested against", r"get stopping", r"\$\.end", r"real str, simulator null"),
}
# Steps whose order of rows is behaviour, not data (each backend lists them its own way): compared by value.
ORDERED_STEPS: dict[str, Any] = {
    "environment secrets as listed": lambda body: [(item["type"], item["name"]) for item in body["secrets"]],
}
# Task reads whose status depends on timing (a GET right after a launch, a stop, a confirm).
TIMING_STEPS = re.compile(r"get after launch .*|get stopping|get confirmed|ws launch|launch .*")


def shape(value: Any) -> Any:
    """Key sets and JSON types; a list is the shape of its rows (merged)."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return {type(None): "null", bool: "bool", int: "int", float: "float", str: "str"}[type(value)]


def differences(real: Any, sim: Any, path: str = "$") -> list[tuple[str, str]]:
    """(JSON path, what differs) between two bodies, compared by shape."""
    real_shape, sim_shape = shape(real), shape(sim)
    if isinstance(real_shape, dict) and isinstance(sim_shape, dict):
        found = [(f"{path}.{key}", "missing in the simulator") for key in real_shape if key not in sim_shape]
        found += [(f"{path}.{key}", "only in the simulator") for key in sim_shape if key not in real_shape]
        for key in real_shape:
            if key in sim_shape:
                found += differences(real[key], sim[key], f"{path}.{key}")
        return found
    if isinstance(real_shape, list) and isinstance(sim_shape, list):
        found = []
        for real_row, sim_row in zip(real, sim):  # rows present in both (lengths are data)
            found += differences(real_row, sim_row, f"{path}[]")
        return sorted(set(found))
    if real_shape != sim_shape:
        return [(path, f"real {real_shape}, simulator {sim_shape}")]
    return []


def cookie_attributes(header: str | None) -> list[str] | None:
    """Set-Cookie without its value (and without the date of an Expires)."""
    if header is None:
        return None
    name_value, *attributes = [part.strip() for part in header.split(";")]
    name, _sep, value = name_value.partition("=")
    attributes = [re.sub(r"(?i)^expires=.*", "Expires=<date>", attribute) for attribute in attributes]
    return [f"{name}={value}"] + sorted(attributes, key=str.lower)


def compare_exchange(group: str, real: dict[str, Any], sim: dict[str, Any], used: set[str]) -> list[str]:
    """Everything that differs in one exchange, excused differences left out."""
    where = f"{group}/{real['step']}"
    problems = []
    if (real["method"], real["path"]) != (sim["method"], sim["path"]):
        return [f"{where}: scenario out of step ({sim['method']} {sim['path']})"]
    if real["method"] == "WS":
        return compare_frames(where, real["frames"], sim["frames"])
    for key in ("status", "body_kind"):
        if real[key] != sim[key]:
            problems.append(f"{where}: {key} real {real[key]!r}, simulator {sim[key]!r}")
    real_headers, sim_headers = real["headers"], sim["headers"]
    for key in ("Content-Type", "Date"):
        if real_headers.get(key) != sim_headers.get(key):
            problems.append(f"{where}: {key} real {real_headers.get(key)!r}, simulator {sim_headers.get(key)!r}")
    real_cookie, sim_cookie = (cookie_attributes(h.get("Set-Cookie")) for h in (real_headers, sim_headers))
    if real_cookie != sim_cookie:
        problems.append(f"{where}: Set-Cookie real {real_cookie}, simulator {sim_cookie}")
    if real["body_kind"] == sim["body_kind"] == "text" and real["body"] != sim["body"]:
        problems.append(f"{where}: text real {real['body']!r}, simulator {sim['body']!r}")
    if real["body_kind"] == sim["body_kind"] == "json":
        for path, what in differences(real["body"], sim["body"]):
            excuse = next((name for name, (_reason, step, json_path, diff) in EXCEPTIONS.items()
                           if re.fullmatch(step, real["step"]) and re.fullmatch(json_path, path)
                           and re.fullmatch(diff, what)), None)
            if excuse:
                used.add(excuse)
            else:
                problems.append(f"{where}: {path} {what}")
        ordered = ORDERED_STEPS.get(real["step"])
        if ordered is not None and ordered(real["body"]) != ordered(sim["body"]):
            problems.append(f"{where}: order real {ordered(real['body'])}, simulator {ordered(sim['body'])}")
        real_status = real["body"].get("status") if isinstance(real["body"], dict) else None
        sim_status = sim["body"].get("status") if isinstance(sim["body"], dict) else None
        if real_status is not None and not TIMING_STEPS.fullmatch(real["step"]) and real_status != sim_status:
            problems.append(f"{where}: task status real {real_status!r}, simulator {sim_status!r}")
    return problems


def compare_frames(where: str, real: list[dict[str, Any]], sim: list[dict[str, Any]]) -> list[str]:
    """The order of ``update`` events (status, end null or set), and the keys of each frame type."""
    def updates(frames: list[dict[str, Any]]) -> list[tuple[str, bool]]:
        return [(f["frame"]["status"], f["frame"]["end"] is None) for f in frames if f["frame"]["type"] == "update"]

    problems = []
    if updates(real) != updates(sim):
        problems.append(f"{where}: update events real {updates(real)}, simulator {updates(sim)}")
    for kind in ("update", "log"):
        real_first = next((f["frame"] for f in real if f["frame"]["type"] == kind), None)
        sim_first = next((f["frame"] for f in sim if f["frame"]["type"] == kind), None)
        if real_first is None or sim_first is None:
            problems.append(f"{where}: no {kind} frame (real {real_first is not None}, "
                            f"simulator {sim_first is not None})")
            continue
        problems += [f"{where}: {kind} frame {path} {what}" for path, what in differences(real_first, sim_first)]
    # what a GET showed right after the last frame: the final status with its end
    real_last, sim_last = real[-1]["get_after"], sim[-1]["get_after"]
    if (real_last["status"], real_last["end_null"]) != (sim_last["status"], sim_last["end_null"]):
        problems.append(f"{where}: GET after the last frame real {real_last}, simulator {sim_last}")
    return problems


def compare(recorded: dict[str, dict[str, Any]],
            replayed: dict[str, list[dict[str, Any]]]) -> tuple[list[str], set[str]]:
    """Every unexcused difference of all groups, and the exception names that excused something."""
    problems: list[str] = []
    used: set[str] = set()
    for group, data in recorded.items():
        real_exchanges, sim_exchanges = data["exchanges"], replayed.get(group, [])
        if [e["step"] for e in real_exchanges] != [e["step"] for e in sim_exchanges]:
            problems.append(f"{group}: steps differ: {[e['step'] for e in sim_exchanges]}")
            continue
        for real, sim in zip(real_exchanges, sim_exchanges):
            problems += compare_exchange(group, real, sim, used)
    return problems, used


def load(directory: Path) -> dict[str, dict[str, Any]]:
    """The recorded groups of one directory, by name."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.json"))}


@pytest.fixture(scope="module")
def recorded() -> dict[str, dict[str, Any]]:
    """The committed recordings of the real 2.10.32 (BoltDB)."""
    if not REAL_2_10.is_dir():
        pytest.skip(f"no recordings at {REAL_2_10}")
    return load(REAL_2_10)


@pytest.fixture(scope="module")
def replayed(sim_tmp: Path, recorded: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """The scenario run against a 2.10 simulator numbering tasks like BoltDB."""
    from recordings.record import Recorder, run_scenario  # pylint: disable=import-outside-toplevel
    server = Sim("2.10", sim_tmp, ("--task-ids", "descending", "--backend", "bolt"))
    try:
        # the launch group queues eight tasks of one template: run them quickly
        server.template(1, duration=0.5, output_lines=20)
        rec = Recorder(server.url, "admin", PASSWORDS["admin"])
        return run_scenario(rec, only=set(recorded))
    finally:
        server.stop()


def test_recordings_hold_no_secret(recorded: dict[str, dict[str, Any]]) -> None:
    """No password, token secret or cookie value in a committed recording."""
    for path in sorted(RECORDINGS.glob("*/*.json")):
        text = path.read_text(encoding="utf-8")
        for password in PASSWORDS.values():
            assert json.dumps(password)[1:-1] not in text, f"{path.name}: a password"
        # token secrets (44 characters of base32/base64) and securecookie values are long runs of
        # letters and digits; nothing legitimate in a recording is one
        secret_like = [run for run in re.findall(r"[A-Za-z0-9_=+-]{32,}", text)
                       if re.search(r"\d", run) and re.search(r"[A-Za-z]", run)]
        assert not secret_like, f"{path.name}: secret-like strings {secret_like[:3]}"
        for match in re.finditer(r'"Set-Cookie": "semaphore=([^;"]*)', text):
            assert match.group(1) in ("", "<cookie>"), f"{path.name}: cookie value {match.group(1)!r}"
    assert recorded


def test_simulator_matches_recordings(recorded: dict[str, dict[str, Any]],
                                      replayed: dict[str, list[dict[str, Any]]]) -> None:
    """Same statuses, key sets, JSON types and websocket order as the real server."""
    problems, used = compare(recorded, replayed)
    stale = sorted(set(EXCEPTIONS) - used)
    assert not problems, "the simulator differs from the recording:\n" + "\n".join(problems)
    assert not stale, f"exceptions that excuse nothing (remove them): {stale}"


def test_simulator_matches_the_mariadb_recordings(sim_tmp: Path) -> None:
    """The groups recorded on MariaDB, replayed alone against a 2.10 simulator with the SQL backend."""
    recorded_sql = load(REAL_2_10_MARIADB)
    if not recorded_sql:
        pytest.skip(f"no recordings at {REAL_2_10_MARIADB}")
    from recordings.record import Recorder, run_scenario  # pylint: disable=import-outside-toplevel
    server = Sim("2.10", sim_tmp / "mariadb", ("--backend", "mysql"))
    try:
        replayed_sql = run_scenario(Recorder(server.url, "admin", PASSWORDS["admin"]), only=set(recorded_sql), alone=True)
    finally:
        server.stop()
    problems, dummy_used = compare(recorded_sql, replayed_sql)
    assert not problems, "\n".join(problems)
