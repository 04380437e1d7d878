"""`make sim`: run the Semaphore simulator in the foreground on a fixed loopback port until Ctrl-C.

Once it answers, print what a newcomer needs to try the collection against it: the URL, the seeded
users and their passwords, the projects and templates, the `export` lines for the modules'
environment fallbacks, and one ad-hoc command.

Usage: hack/sim.py [--profile 2.16] [--port 3000] [--host 127.0.0.1] [--seed FILE] [--collections DIR]
"""
from __future__ import annotations

import argparse
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
SIM_DIR = REPO / "tests" / "simulator"


def banner(url: str, profile: str, seed: dict, collections: str | None) -> str:
    users = seed.get("users", [])
    admin = next((user for user in users if user.get("admin")), users[0])
    name_width = max(len(user["username"]) for user in users)
    password_width = max(len(user["password"]) for user in users)
    lines = [
        "",
        f"Semaphore simulator (profile {profile}) at {url}   (Ctrl-C stops it)",
        "",
        "Users (username, password, role):",
    ]
    for user in users:
        notes = ["admin"] if user.get("admin") else []
        notes += [f"{role} in {project['name']}" for project in seed.get("projects", [])
                  for name, role in (project.get("members") or {}).items() if name == user["username"]]
        if user.get("totp_secret"):
            notes.append(f"TOTP secret {user['totp_secret']}")
        lines.append(f"  {user['username']:<{name_width}}  {user['password']:<{password_width}}  {', '.join(notes)}")
    lines += ["", "Projects and their templates:"]
    for project in seed.get("projects", []):
        names = ", ".join(f'"{template["name"]}"' for template in project.get("templates", []))
        lines.append(f"  {project['name']}: {names}")
    exports = [f"export SEMAPHORE_URL={url}",
               f"export SEMAPHORE_USERNAME={shlex.quote(admin['username'])}",
               f"export SEMAPHORE_PASSWORD={shlex.quote(admin['password'])}"]
    if collections:
        exports += [f"export ANSIBLE_COLLECTIONS_PATH={shlex.quote(collections)}   # the collection `make sim` installed",
                    "export ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_LOCALHOST_WARNING=false   # no inventory: localhost only"]
    bin_dir = REPO / ".venv" / "bin"
    lines += [
        "",
        "In another shell, paste:",
        "",
        *("  " + line for line in exports),
        "",
        "then try a module ad hoc, or any playbook of examples/:",
        "",
        f"  {shlex.quote(str(bin_dir / 'ansible'))} localhost -m semaphore.api.semaphore_task -a 'project=Demo template=\"Deploy app\"'",
        f"  {shlex.quote(str(bin_dir / 'ansible-playbook'))} {shlex.quote(str(REPO / 'examples' / 'stop_task.yml'))}",
        "",
    ]
    return "\n".join(lines)


def ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/api/ping", timeout=2) as answer:  # noqa: S310 (loopback)
            return answer.status == 200
    except OSError:
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="2.16", choices=["2.10", "2.16", "2.18"])
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", default=str(SIM_DIR / "seed.yml"))
    parser.add_argument("--collections", help="ANSIBLE_COLLECTIONS_PATH to print in the export lines")
    parser.add_argument("--start-timeout", type=float, default=30)
    args = parser.parse_args()

    seed = yaml.safe_load(Path(args.seed).read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="semaphore-sim-") as workdir:
        url_file = Path(workdir) / "url"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(SIM_DIR), os.environ.get("PYTHONPATH")])))
        process = subprocess.Popen(  # pylint: disable=consider-using-with
            [sys.executable, "-m", "semaphore_sim", "--host", args.host, "--port", str(args.port),
             "--profile", args.profile, "--seed", args.seed, "--port-file", str(url_file)],
            env=env, stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + args.start_timeout
            while not (url_file.exists() and url_file.read_text() and ready(url_file.read_text().strip())):
                if process.poll() is not None:
                    print(f"make sim: the simulator exited (code {process.returncode}); is port {args.port} "
                          "in use? Try PORT=3001.", file=sys.stderr)
                    return 1
                if time.monotonic() > deadline:
                    print(f"make sim: the simulator did not answer within {args.start_timeout:.0f}s", file=sys.stderr)
                    return 1
                time.sleep(0.1)
            print(banner(url_file.read_text().strip(), args.profile, seed, args.collections), flush=True)
            return process.wait()
        except KeyboardInterrupt:
            # Ctrl-C reached the simulator too (same process group); let it stop cleanly.
            return 0
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


if __name__ == "__main__":
    sys.exit(main())
