"""§6.4 task output: the JSON lines and (v2.14+) the plain-text ``raw_output``.

§n: docs/server-behaviour.md.
"""
from __future__ import annotations

import json

from aiohttp import web

from . import output, views
from .api_common import JSON_TYPE, Route, project_of, sim_of
from .api_tasks import task_of
from .profiles import Profile


async def task_output(request: web.Request) -> web.StreamResponse:
    """§6.4 GET .../output: every stored line, oldest first."""
    sim = sim_of(request)
    project, _perms = project_of(request)
    task = task_of(request, project)
    lines = sim.store.ordered_output(task.id)
    response = web.StreamResponse(status=200)
    response.content_type = JSON_TYPE
    await response.prepare(request)
    chunk: list[str] = []
    first = True
    await response.write(b"[")
    for stamp, text in list(lines):
        item = json.dumps(views.output_json(sim.profile, task.id, stamp, text), separators=(",", ":"),
                          ensure_ascii=False)
        chunk.append(item if first else "," + item)
        first = False
        if len(chunk) >= 2000:
            await response.write("".join(chunk).encode("utf-8"))
            chunk = []
    chunk.append("]")
    await response.write("".join(chunk).encode("utf-8"))
    await response.write_eof()
    return response


async def task_raw_output(request: web.Request) -> web.Response:
    """§6.4 raw_output (v2.14+): text/plain, ANSI stripped, one line each followed by a newline."""
    sim = sim_of(request)
    project, _perms = project_of(request)
    task = task_of(request, project)
    text = "".join(output.strip_ansi(line) + "\n" for _stamp, line in sim.store.ordered_output(task.id))
    return web.Response(text=text, content_type="text/plain")


def routes(profile: Profile) -> list[Route]:
    """The §6.4 routes of this version."""
    result: list[Route] = [("GET", "/api/project/{project_id}/tasks/{task_id}/output", task_output)]
    if profile.raw_output:
        result.append(("GET", "/api/project/{project_id}/tasks/{task_id}/raw_output", task_raw_output))
    return result
