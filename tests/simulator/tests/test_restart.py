"""When a Semaphore task goes wrong in real life: the server restarts, or a task's process dies.

Semaphore does not resume tasks after its process restarts (server issues 1385, 3287): a task that
was running shows ``running`` for ever, with no new output and no ``end``. When only the task's
process dies (issue 3681) the in-memory pool still counts the task as active, so it blocks its
template and the parallel limits until it is stopped with force. ``POST /_sim/restart`` and
``POST /_sim/tasks/{id}/kill`` reproduce both; these tests pin what they do.
§n: docs/server-behaviour.md.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
import requests
import websocket

from conftest import Client, Sim

DOWN_SECONDS = 0.5


def answers(sim: Sim) -> bool:
    """Whether the simulator accepts a connection and answers."""
    try:
        requests.get(sim.url + "/api/ping", timeout=2)
    except requests.ConnectionError:
        return False
    return True


def wait_until(condition: Callable[[], bool], timeout: float, failure: str) -> None:
    """Poll ``condition`` for at most ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(failure)
        time.sleep(0.05)


def restart_and_wait(sim: Sim, down_seconds: float = DOWN_SECONDS) -> None:
    """Restart the simulator, see it go down, and wait until it answers again."""
    sim.restart(down_seconds)
    wait_until(lambda: not answers(sim), 2.0, "the simulator did not go down")
    wait_until(lambda: answers(sim), down_seconds + 5.0, "the simulator did not come back")


def running_task(api: Client, template_id: int) -> int:
    """Launch a task and wait until it runs."""
    task_id = api.launch({"template_id": template_id})["id"]
    api.wait(task_id, ("running",))
    return int(task_id)


def assert_frozen(api: Client, task_id: int, lines: int) -> None:
    """Still ``running``, no ``end``, no new output."""
    task = api.task(task_id)
    assert task["status"] == "running" and not task.get("end"), task
    assert len(api.texts(task_id)) == lines


def test_restart_refuses_connections_then_answers_on_the_same_port(sim: Sim) -> None:
    if sim.profile != "2.16":
        pytest.skip("the listener is profile-independent; run once")
    sim.template(4, duration=0.3, output_lines=10)
    api = Client(sim)
    done = api.launch({"template_id": 4})["id"]
    api.wait_end(done)
    time.sleep(0.6)  # the last output lines are stored
    lines = api.texts(done)
    sock = api.websocket()
    assert api.get("/api/ping").status_code == 200  # leaves a keep-alive connection open
    started = time.monotonic()
    sim.restart(1.0)
    time.sleep(0.3)
    with pytest.raises(requests.ConnectionError):
        requests.get(sim.url + "/api/ping", timeout=2)
    with pytest.raises(requests.ConnectionError):
        api.get("/api/ping")  # the open connection was dropped, not left hanging
    with pytest.raises(requests.ConnectionError):
        sim.state()  # the control API is down too
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionResetError)):
        sock.recv()
    assert time.monotonic() - started < 1.0  # refused at once, while still down
    wait_until(lambda: answers(sim), 6.0, "the simulator did not come back")
    assert time.monotonic() - started >= 1.0
    # same URL; the token, the task and its output survive (they live in the database)
    assert api.task(done)["status"] == "success" and api.texts(done) == lines
    assert [entry["down_seconds"] for entry in sim.state()["restarts"]] == [1.0]
    api.websocket().close()


def test_restart_orphans_a_running_task_and_frees_its_template(sim: Sim) -> None:
    sim.template(1, duration=2.5, output_lines=60)
    api = Client(sim)
    orphan = running_task(api, 1)
    time.sleep(0.3)
    restart_and_wait(sim)
    lines = len(api.texts(orphan))
    assert lines > 0
    state = sim.state()
    assert state["running"] == [] and state["queue"] == []  # the in-memory pool is gone
    sim.template(1, duration=0.5, output_lines=10)
    again = api.launch({"template_id": 1})["id"]
    api.wait(again, ("success",), timeout=10)  # the orphan does not block its template
    time.sleep(1.5)  # well past the end the orphan's run would have had
    assert_frozen(api, orphan, lines)


def test_stop_of_an_orphan(sim: Sim) -> None:
    sim.template(1, duration=3, output_lines=30)  # both runs only need to outlive the restart
    sim.template(4, duration=3, output_lines=30)
    api = Client(sim)
    forced = running_task(api, 1)
    plain = running_task(api, 4)
    restart_and_wait(sim)
    sock = api.websocket()
    try:
        for task_id, force in ((forced, True), (plain, False)):
            assert api.post(f"/api/project/1/tasks/{task_id}/stop", {"force": force}).status_code == 204
            event = json.loads(sock.recv())
            assert (event["type"], event["task_id"], event["status"]) == ("update", task_id, "stopped")
            # §6.6: no longer active, so only the status is set; ``end`` is saved by the run, which is gone
            task = api.task(task_id)
            assert task["status"] == "stopped" and not task.get("end")
    finally:
        sock.close()


def test_queued_task_after_a_restart(sim: Sim) -> None:
    if sim.profile != "2.16":
        pytest.skip("the queue is profile-independent; run once")
    outcomes: dict[str, str] = {}
    for mode in ("stay", "run", "error"):
        sim.control("POST", "/_sim/reset")
        sim.control("POST", "/_sim/config", json={"max_parallel_tasks": 1, "queued_after_restart": mode})
        sim.template(3, duration=2, output_lines=10)  # only needs to outlive the restart
        sim.template(4, duration=0.3, output_lines=10)
        api = Client(sim)
        orphan = running_task(api, 3)
        queued = api.launch({"template_id": 4})["id"]
        assert api.task(queued)["status"] == "waiting"
        restart_and_wait(sim)
        if mode == "run":
            api.wait(queued, ("success",))
        time.sleep(0.3)
        outcomes[mode] = api.task(queued)["status"]
        assert api.task(orphan)["status"] == "running"
    # the default: the queue lived in memory, so the task is forgotten and waits for ever
    assert outcomes == {"stay": "waiting", "run": "success", "error": "error"}
    assert sim.state()["config"]["queued_after_restart"] == "error"
    sim.control("POST", "/_sim/reset")
    assert sim.state()["config"]["queued_after_restart"] == "stay"


def test_killed_task_blocks_its_template_until_force_stopped(sim: Sim) -> None:
    sim.template(1, duration=2, output_lines=40)
    api = Client(sim)
    killed = running_task(api, 1)
    sim.kill(killed)
    second = api.launch({"template_id": 1})["id"]
    time.sleep(1.0)  # lines logged before the kill are still stored (batches; 2.10's write lag)
    lines = len(api.texts(killed))
    time.sleep(1.0)  # past the end the run would have had
    assert_frozen(api, killed, lines)
    assert api.task(second)["status"] == "waiting"
    assert sim.state()["killed"] == [killed]
    # a plain stop cannot finish: the process that would acknowledge it is gone
    assert api.post(f"/api/project/1/tasks/{killed}/stop", {"force": False}).status_code == 204
    time.sleep(0.3)
    assert api.task(killed)["status"] == "stopping" and api.task(second)["status"] == "waiting"
    sim.template(1, duration=0.5, output_lines=10)
    sock = api.websocket()
    try:
        assert api.post(f"/api/project/1/tasks/{killed}/stop", {"force": True}).status_code == 204
        event = json.loads(sock.recv())
        assert (event["type"], event["task_id"], event["status"]) == ("update", killed, "stopped")
    finally:
        sock.close()
    assert api.wait_end(killed)["status"] == "stopped"
    api.wait(second, ("success",), timeout=10)
    assert sim.state()["killed"] == []


def test_killed_task_counts_towards_the_parallel_limit(sim: Sim) -> None:
    sim.control("POST", "/_sim/config", json={"max_parallel_tasks": 1})
    sim.template(3, duration=2, output_lines=10)
    sim.template(4, duration=0.3, output_lines=10)
    api = Client(sim)
    killed = running_task(api, 3)
    sim.kill(killed)
    other = api.launch({"template_id": 4})["id"]
    time.sleep(2.0)  # past the end the killed run would have had
    assert api.task(other)["status"] == "waiting"
    assert api.post(f"/api/project/1/tasks/{killed}/stop", {"force": True}).status_code == 204
    api.wait(other, ("success",))


def test_restart_and_kill_refuse_bad_requests(sim: Sim) -> None:
    sim.template(3, duration=2, output_lines=10)
    api = Client(sim)
    running = running_task(api, 3)
    waiting = api.launch({"template_id": 3})["id"]
    assert requests.post(f"{sim.url}/_sim/tasks/999999/kill", timeout=10).status_code == 404
    assert requests.post(f"{sim.url}/_sim/tasks/{waiting}/kill", timeout=10).status_code == 400
    for body in ({"down_seconds": -1}, {"down_seconds": 121}, {"down_seconds": "soon"}, [1]):
        assert requests.post(f"{sim.url}/_sim/restart", json=body, timeout=10).status_code == 400, body
    assert sim.state()["restarts"] == [] and api.task(running)["status"] == "running"
