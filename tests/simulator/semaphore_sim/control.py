"""Test control API under /_sim/ (never written to the request log).

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .auth import totp_code
from .core import MAX_RESTART_DOWN_SECONDS, QUEUED_AFTER_RESTART_CHOICES, SIM_KEY, Simulator
from .faults import Fault, FaultError
from .state import TERMINAL
from .timefmt import fmt_time

CONTROL_FIELDS = ("duration", "result", "output_lines", "confirm")
DELAY_KEYS = ("final_status_delay", "end_delay", "output_delay")
READ_ONLY_KEYS = ("task_ids", "backend", "web_host")  # start options, shown but not changeable


def _sim(request: web.Request) -> Simulator:
    return request.app[SIM_KEY]


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


def _bad(message: str) -> web.Response:
    return _json({"error": message}, 400)


async def _body(request: web.Request) -> Any:
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        return None


async def get_log(request: web.Request) -> web.Response:
    """``GET /_sim/log``."""
    return _json({"entries": _sim(request).log.entries})


async def clear_log(request: web.Request) -> web.Response:
    """``DELETE /_sim/log``."""
    _sim(request).log.clear()
    return _json({"entries": []})


async def add_fault(request: web.Request) -> web.Response:
    """``POST /_sim/faults``."""
    try:
        fault = Fault.from_json(await _body(request))
    except FaultError as exc:
        return _bad(str(exc))
    _sim(request).faults.add(fault)
    return _json(fault.to_json(), 201)


async def list_faults(request: web.Request) -> web.Response:
    """``GET /_sim/faults`` (extra): the faults still armed."""
    return _json({"faults": [fault.to_json() for fault in _sim(request).faults.items]})


async def clear_faults(request: web.Request) -> web.Response:
    """``DELETE /_sim/faults``."""
    _sim(request).faults.clear()
    return _json({"faults": []})


async def get_state(request: web.Request) -> web.Response:
    """``GET /_sim/state``."""
    sim = _sim(request)
    store = sim.store
    users = store.users
    sessions = [s for s in store.sessions.values() if not s.expired]
    return _json({
        "profile": sim.profile.name,
        "version": sim.profile.version,
        "sessions_active": len(sessions),
        "tokens": [{"prefix": t.id[:8], "user": users[t.user_id].username if t.user_id in users else None,
                    "expired": t.expired, "name": t.name} for t in store.tokens.values()],
        "tasks": [{"id": t.id, "template_id": t.template_id, "project_id": t.project_id, "status": t.status,
                   "user": users[t.user_id].username if t.user_id in users else None,
                   "params": t.params, "effective": {k: v for k, v in t.effective.items() if k != "arguments_error"},
                   "lines": len(store.outputs.get(t.id, [])), "finished": t.status in TERMINAL,
                   "start": fmt_time(t.start, 6), "end": fmt_time(t.end, 6)}
                  for t in sorted(store.tasks.values(), key=store.newer_key)],
        "queue": list(sim.pool.queue),
        "running": sorted(sim.pool.running),
        "killed": sorted(sim.pool.killed),
        "restarts": sim.restarts,
        "config": sim.config,
    })


async def reset(request: web.Request) -> web.Response:
    """``POST /_sim/reset``: back to the seed."""
    _sim(request).reset()
    return _json({"reset": True})


async def set_config(request: web.Request) -> web.Response:
    """``POST /_sim/config`` ``{"websocket": bool, "max_parallel_tasks": int, "final_status_delay": s,
    "end_delay": s, "output_delay": s, "queued_after_restart": "stay|run|error"}``; ``task_ids``,
    ``backend``, ``web_host`` are read-only."""
    sim = _sim(request)
    body = await _body(request)
    if not isinstance(body, dict):
        return _bad("body must be a JSON object")
    for key in READ_ONLY_KEYS:
        if key in body and body[key] != sim.config[key]:
            return _bad(f"{key} is a start option (--{key.replace('_', '-')})")
    delays: dict[str, float] = {}
    for key in DELAY_KEYS:
        if key in body:
            try:
                delays[key] = float(body[key])
            except (TypeError, ValueError):
                return _bad(f"{key} must be a number of seconds")
            if delays[key] < 0:
                return _bad(f"{key} must not be negative")
    if "queued_after_restart" in body and body["queued_after_restart"] not in QUEUED_AFTER_RESTART_CHOICES:
        return _bad(f"queued_after_restart must be one of {', '.join(QUEUED_AFTER_RESTART_CHOICES)}")
    sim.config.update(delays)
    if "queued_after_restart" in body:
        sim.config["queued_after_restart"] = body["queued_after_restart"]
    if "websocket" in body:
        sim.config["websocket"] = bool(body["websocket"])
    if "max_parallel_tasks" in body:
        try:
            value = int(body["max_parallel_tasks"])
        except (TypeError, ValueError):
            return _bad("max_parallel_tasks must be an integer")
        # §8: zero is replaced by the default, so the limit cannot be switched off
        sim.config["max_parallel_tasks"] = value if value > 0 else sim.default_config["max_parallel_tasks"]
        sim.pool.kick()
    return _json(sim.config)


async def get_totp(request: web.Request) -> web.Response:
    """``GET /_sim/totp?user=totpuser``: the current code."""
    sim = _sim(request)
    name = request.query.get("user", "totpuser")
    for user in sim.store.users.values():
        if name in (user.username, user.email) and user.totp_secret:
            code = totp_code(user.totp_secret)
            sim.remember("totp_codes", code)
            return _json({"code": code})
    return _json({"error": f"no TOTP user {name!r}"}, 404)


async def set_template(request: web.Request) -> web.Response:
    """``POST /_sim/templates/{id}``: change how a template's runs behave."""
    sim = _sim(request)
    try:
        template = sim.store.templates[int(request.match_info["template_id"])]
    except (KeyError, ValueError):
        return _json({"error": "no such template"}, 404)
    body = await _body(request)
    if not isinstance(body, dict):
        return _bad("body must be a JSON object")
    if "result" in body and body["result"] not in ("success", "error"):
        return _bad("result must be success or error")
    if "task_params" in body and not isinstance(body["task_params"], dict):
        return _bad("task_params must be an object")
    try:
        if "duration" in body:
            template.sim["duration"] = max(float(body["duration"]), 0.0)
        if "output_lines" in body:
            template.sim["output_lines"] = max(int(body["output_lines"]), 1)
    except (TypeError, ValueError):
        return _bad("duration and output_lines must be numbers")
    if "result" in body:
        template.sim["result"] = body["result"]
    if "confirm" in body:
        template.sim["confirm"] = bool(body["confirm"])
    for key in ("allow_parallel_tasks",):
        if key in body:
            template.data[key] = bool(body[key])
    if "task_params" in body:
        # merged into the template's task_params, e.g. {"allow_auto_approve": true} (Terraform)
        template.data["task_params"] = {**(template.data.get("task_params") or {}), **body["task_params"]}
    return _json({"id": template.id, "name": template.name, "sim": template.sim})


async def restart(request: web.Request) -> web.Response:
    """``POST /_sim/restart`` ``{"down_seconds": N}``: answers, then the process dies for N seconds."""
    sim = _sim(request)
    body = await _body(request)
    if not isinstance(body, dict):
        return _bad("body must be a JSON object")
    try:
        down_seconds = float(body.get("down_seconds", 0))
    except (TypeError, ValueError):
        return _bad("down_seconds must be a number of seconds")
    if not 0 <= down_seconds <= MAX_RESTART_DOWN_SECONDS:  # also refuses NaN
        return _bad(f"down_seconds must be between 0 and {MAX_RESTART_DOWN_SECONDS:g}")
    if not sim.restart(down_seconds):
        return _json({"error": "a restart is already under way"}, 409)
    return _json({"restarting": True, "down_seconds": down_seconds})


async def kill_task(request: web.Request) -> web.Response:
    """``POST /_sim/tasks/{id}/kill``: the task's process dies, the server stays up (issue 3681)."""
    sim = _sim(request)
    try:
        task = sim.store.tasks[int(request.match_info["task_id"])]
    except (KeyError, ValueError):
        return _json({"error": "no such task"}, 404)
    if task.status != "running" or task.id not in sim.pool.running:
        return _bad(f"task {task.id} is {task.status}, not running in the pool")
    sim.pool.kill(task.id)
    return _json({"id": task.id, "status": task.status, "killed": True})


async def get_secrets(request: web.Request) -> web.Response:
    """``GET /_sim/secrets`` (test only): every token secret, session cookie and TOTP code issued
    since start (kept across resets), and the seed passwords."""
    sim = _sim(request)
    passwords = sorted({str(u.get("password")) for u in sim.seed.get("users", []) if u.get("password")})
    return _json({**{kind: list(values) for kind, values in sim.issued.items()}, "passwords": passwords})


def add_routes(app: web.Application) -> None:
    """Register the control routes."""
    app.router.add_get("/_sim/log", get_log)
    app.router.add_delete("/_sim/log", clear_log)
    app.router.add_get("/_sim/faults", list_faults)
    app.router.add_post("/_sim/faults", add_fault)
    app.router.add_delete("/_sim/faults", clear_faults)
    app.router.add_get("/_sim/state", get_state)
    app.router.add_post("/_sim/reset", reset)
    app.router.add_post("/_sim/config", set_config)
    app.router.add_get("/_sim/totp", get_totp)
    app.router.add_get("/_sim/secrets", get_secrets)
    app.router.add_post("/_sim/templates/{template_id}", set_template)
    app.router.add_post("/_sim/restart", restart)
    app.router.add_post("/_sim/tasks/{task_id}/kill", kill_task)
