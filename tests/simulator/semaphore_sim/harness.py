"""Start a simulator subprocess, wait until it answers, always stop it: the one way every starter uses.

Used by tests/system/conftest.py, tests/simulator/tests/conftest.py, bench/run.py (and bench/cores.py
through it), hack/sim.py and, through the command line below, hack/with-simulator.sh.

    from semaphore_sim.harness import running_simulator
    with running_simulator("2.16", workdir=tmp) as sim:
        sim.url, sim.port, sim.process, sim.log_path, sim.control("GET", "state")

Command line (what hack/with-simulator.sh runs): start a simulator, run a command with
SEMAPHORE_URL, SEMAPHORE_SIM_PROFILE, SEMAPHORE_SIM_DIR, SEMAPHORE_SIM_USERNAME and
SEMAPHORE_SIM_PASSWORD (the seed's admin) set, stop the simulator, exit with the command's code:

    python -m semaphore_sim.harness [--profile 2.16] [--seed FILE] [--state-dir DIR]
        [--start-timeout 30] [--admin-env] -- command [args...]

Only the standard library and PyYAML: importing this module starts nothing and needs no aiohttp.
"""
from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SIM_ROOT = Path(__file__).resolve().parent.parent  # tests/simulator: the directory to put on PYTHONPATH
SEED = SIM_ROOT / "seed.yml"
STOP_TIMEOUT = 10.0


class SimulatorError(RuntimeError):
    """The simulator did not start: it exited (``returncode`` set) or did not answer in time (None)."""

    def __init__(self, message: str, returncode: int | None = None, output: str = "") -> None:
        super().__init__(message + (": " + output if output else ""))
        self.returncode = returncode
        self.output = output


# -- the seed --------------------------------------------------------------------------------------------

def load_seed(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """The seed YAML (default tests/simulator/seed.yml) as a mapping."""
    with open(path or SEED, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise ValueError(f"{path or SEED}: the seed must be a mapping")
    return data


def seed_passwords(path: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """{username: password} of every seeded user."""
    return {str(user["username"]): str(user["password"]) for user in load_seed(path).get("users", [])}


def seed_admin(path: str | os.PathLike[str] | None = None) -> tuple[str, str]:
    """(username, password) of the seed's first admin user: the one place the admin password lives."""
    for user in load_seed(path).get("users", []):
        if user.get("admin"):
            return str(user["username"]), str(user["password"])
    raise ValueError(f"{path or SEED}: no admin user in the seed")


# -- a running simulator ---------------------------------------------------------------------------------

@dataclass(eq=False)
class RunningSimulator:
    """A simulator subprocess that answered on ``url``; ``stop()`` ends it (idempotent).

    Files (in ``workdir`` unless given): ``url_path`` (the --port-file), ``output_path`` (its stdout
    and stderr; None when inherited), ``log_path`` (its --log-file; None without), ``tls/`` (with
    ``tls``: ``ca`` is ``tls/ca.pem``).
    """

    url: str
    process: subprocess.Popen  # type: ignore[type-arg]
    profile: str
    workdir: Path
    url_path: Path
    log_path: Path | None
    output_path: Path | None
    ca: Path | None
    cleanup: Callable[[], object] | None = None
    port: int = field(init=False)

    def __post_init__(self) -> None:
        self.port = int(urllib.parse.urlsplit(self.url).port or 0)

    def ssl_context(self) -> ssl.SSLContext | None:
        """For https: verify with the generated CA."""
        return ssl.create_default_context(cafile=str(self.ca)) if self.ca is not None else None

    def control(self, method: str, path: str, body: Any = None, timeout: float = 10) -> Any:
        """A control call: ``path`` is under /_sim/ (``"state"``, ``"tasks/3/kill"``) or absolute
        (``"/_sim/state"``); the JSON answer, None when empty; an HTTP error raises."""
        if not path.startswith("/"):
            path = "/_sim/" + path
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),  # loopback: never a proxy
                                             urllib.request.HTTPSHandler(context=self.ssl_context()))
        with opener.open(request, timeout=timeout) as answer:
            raw = answer.read()
        return json.loads(raw) if raw else None

    def state(self) -> dict[str, Any]:
        """``GET /_sim/state``."""
        return self.control("GET", "state")  # type: ignore[no-any-return]

    def log(self) -> list[dict[str, Any]]:
        """The request log's entries (``GET /_sim/log``)."""
        return self.control("GET", "log")["entries"]  # type: ignore[no-any-return]

    def restart(self, down_seconds: float) -> Any:
        """The simulated server dies now (sockets cut, running tasks orphaned) and listens again on the
        same port ``down_seconds`` later; the answer comes before it goes down."""
        return self.control("POST", "restart", {"down_seconds": down_seconds})

    def kill(self, task_id: int) -> Any:
        """The task's process dies while the server stays up: it stays ``running`` and keeps its place
        in the pool until it is stopped with force."""
        return self.control("POST", f"tasks/{task_id}/kill", {})

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, a bounded wait, then SIGKILL; the exit code. Never leaves the process running."""
        _end(self.process, timeout)
        if self.cleanup is not None:
            cleanup, self.cleanup = self.cleanup, None
            cleanup()
        return self.process.returncode

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _end(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


def _answers(url: str, ca: Path | None) -> bool:
    """``GET /api/ping`` answers 200 (https: verified with ``ca``)."""
    context = ssl.create_default_context(cafile=str(ca)) if ca is not None else None
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
    try:
        with opener.open(url + "/api/ping", timeout=2) as answer:
            return bool(answer.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def start_simulator(profile: str = "2.16", **options: Any) -> RunningSimulator:
    """Start a simulator and return once ``/api/ping`` answers; the caller must ``stop()`` it
    (``running_simulator`` does). On failure the process is stopped and SimulatorError raised.
    The options are those of ``launch``."""
    return RunningSimulator(**launch(profile, **options))


def launch(profile: str = "2.16", *, seed: str | os.PathLike[str] | None = None, tls: bool = False,
           extra_args: Sequence[str] = (), workdir: str | os.PathLike[str] | None = None,
           python: str = sys.executable, env: dict[str, str] | None = None, start_timeout: float = 30,
           host: str = "127.0.0.1", port: int = 0, verbose: bool = False,
           url_file: str | os.PathLike[str] | None = None, output_file: str | os.PathLike[str] | None = None,
           log_file: str | os.PathLike[str] | bool = True, capture_output: bool = True) -> dict[str, Any]:
    """Start a simulator, wait until ``/api/ping`` answers; the keyword arguments of a RunningSimulator
    for it (a subclass adds its own fields: tests/simulator/tests/conftest.py). On failure the process
    is stopped and SimulatorError raised.

    ``workdir`` (default: a temporary directory removed at stop) holds ``sim.url``, ``sim.out`` (stdout
    and stderr, unless ``capture_output`` is false: then inherited), ``sim.log`` (--log-file; ``log_file``
    False: none, a path: there) and ``tls/``. ``env`` is the environment (default: this one), with
    tests/simulator put first on PYTHONPATH. ``port`` 0 picks a free one.
    """
    cleanup = None
    if workdir is None:
        workdir = tempfile.mkdtemp(prefix="semaphore-sim-")
        cleanup = functools.partial(shutil.rmtree, workdir, ignore_errors=True)
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    url_path = Path(url_file) if url_file else work / "sim.url"
    url_path.unlink(missing_ok=True)  # a previous run's: its port is closed now
    log_path = (work / "sim.log" if log_file is True else Path(log_file)) if log_file else None
    output_path = (Path(output_file) if output_file else work / "sim.out") if capture_output else None
    extra_args = list(extra_args)
    tls_dir = work / "tls" if tls else None
    if "--tls-dir" in extra_args[:-1]:  # TLS asked for by hand
        tls_dir = Path(extra_args[extra_args.index("--tls-dir") + 1])
    ca = tls_dir / "ca.pem" if tls_dir is not None else None
    command = [python, "-m", "semaphore_sim", "--host", host, "--port", str(port), "--profile", profile,
               "--seed", str(seed or SEED), "--port-file", str(url_path)]
    if log_path is not None:
        command += ["--log-file", str(log_path)]
    if verbose:
        command.append("--verbose")
    if tls:
        command += ["--tls", "--tls-dir", str(tls_dir)]
    command += extra_args
    base = dict(os.environ if env is None else env)
    base["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SIM_ROOT), base.get("PYTHONPATH")]))
    process = None
    try:
        with open(output_path, "wb") if output_path else contextlib.nullcontext() as sink:
            # Its own session: a Ctrl-C at the terminal reaches the starter, which stops it in order.
            process = subprocess.Popen(command, env=base, stdin=subprocess.DEVNULL, stdout=sink,  # pylint: disable=consider-using-with
                                       stderr=subprocess.STDOUT if sink else None, start_new_session=True)
        url = _wait_ready(process, url_path, ca, start_timeout, output_path)
    except BaseException:
        if process is not None:
            _end(process, STOP_TIMEOUT)
        if cleanup is not None:
            cleanup()
        raise
    return {"url": url, "process": process, "profile": profile, "workdir": work, "url_path": url_path,
            "log_path": log_path, "output_path": output_path, "ca": ca, "cleanup": cleanup}


def _wait_ready(process: subprocess.Popen[bytes], url_path: Path, ca: Path | None, start_timeout: float,
                output_path: Path | None) -> str:
    """Bounded: the URL file, then /api/ping answering."""
    deadline = time.monotonic() + start_timeout
    while True:
        url = url_path.read_text(encoding="utf-8").strip() if url_path.exists() else ""
        if url and _answers(url, ca):
            return url
        if process.poll() is not None:
            raise SimulatorError(f"the simulator exited (code {process.returncode})", process.returncode,
                                 _read(output_path))
        if time.monotonic() > deadline:
            raise SimulatorError(f"the simulator did not answer within {start_timeout:g} s", None, _read(output_path))
        time.sleep(0.05)


def _read(path: Path | None) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace") if path else ""
    except OSError:
        return ""


@contextlib.contextmanager
def running_simulator(profile: str = "2.16", **options: Any) -> Iterator[RunningSimulator]:
    """``start_simulator(profile, **options)`` as a context manager: stopped on the way out, whatever happened."""
    sim = start_simulator(profile, **options)
    try:
        yield sim
    finally:
        sim.stop()


# -- command line: what hack/with-simulator.sh runs ------------------------------------------------------

PROG = "with-simulator"


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description="start a simulator, run a command against it, stop it")
    parser.add_argument("--profile", default="2.16")
    parser.add_argument("--seed", default=str(SEED))
    parser.add_argument("--state-dir", required=True, help="its files: sim.url, sim.log (its output)")
    parser.add_argument("--start-timeout", type=float, default=30)
    parser.add_argument("--admin-env", action="store_true",
                        help="also export SEMAPHORE_USERNAME and SEMAPHORE_PASSWORD: the seed's admin")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.command[:1] == ["--"]:
        args.command = args.command[1:]
    if not args.command:
        parser.error("no command given")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command against a simulator; its exit code (130/143 after SIGINT/SIGTERM)."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    state_dir = Path(args.state_dir)
    log = state_dir / "sim.log"
    try:
        sim = start_simulator(args.profile, seed=args.seed, workdir=state_dir, url_file=state_dir / "sim.url",
                              output_file=log, log_file=False, start_timeout=args.start_timeout)
    except SimulatorError as exc:
        why = "simulator exited early" if exc.returncode is not None else \
            f"simulator not ready after {args.start_timeout:g}s"
        print(f"{PROG}: {why}; its log:\n{exc.output}", file=sys.stderr, end="" if exc.output.endswith("\n") else "\n")
        return 1
    signals: list[int] = []

    def forward(signum: int, _frame: object) -> None:
        signals.append(signum)
        if signum == signal.SIGTERM and child is not None and child.poll() is None:
            child.terminate()

    child: subprocess.Popen[bytes] | None = None
    previous = {signum: signal.signal(signum, forward) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"{PROG}: profile {args.profile} at {sim.url}", file=sys.stderr, flush=True)
        username, password = seed_admin(args.seed)
        env = _command_env()
        env.update(SEMAPHORE_URL=sim.url, SEMAPHORE_SIM_PROFILE=args.profile,
                   SEMAPHORE_SIM_DIR=str(state_dir), SEMAPHORE_SIM_USERNAME=username, SEMAPHORE_SIM_PASSWORD=password)
        if args.admin_env:
            env.update(SEMAPHORE_USERNAME=username, SEMAPHORE_PASSWORD=password)
        try:
            child = subprocess.Popen(args.command, env=env)  # pylint: disable=consider-using-with
        except OSError as exc:
            print(f"{PROG}: {args.command[0]}: {exc.strerror}", file=sys.stderr)
            return 127
        code = child.wait()  # a Ctrl-C reaches the command too (same process group); it decides when to end
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        sim.stop()
    if signals:
        return 128 + signals[0]
    return 128 - code if code < 0 else code  # killed by a signal: as a shell reports it


def _command_env() -> dict[str, str]:
    """This environment without the tests/simulator entry that ``-m semaphore_sim.harness`` needed
    on PYTHONPATH: the command sees the caller's PYTHONPATH."""
    env = dict(os.environ)
    parts = env.get("PYTHONPATH", "").split(os.pathsep)
    if parts and parts[0] and Path(parts[0]).resolve() == SIM_ROOT:
        del parts[0]
        if any(parts):
            env["PYTHONPATH"] = os.pathsep.join(parts)
        else:
            del env["PYTHONPATH"]
    return env


if __name__ == "__main__":
    sys.exit(main())
