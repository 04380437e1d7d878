"""`make sim`: run the Semaphore simulator in the foreground on a fixed loopback port until Ctrl-C.

Once it answers, print what a newcomer needs to try the collection against it: the URL, the seeded
users and their passwords, the projects and templates, the `export` lines for the modules'
environment fallbacks, and one ad-hoc command.

Usage: hack/sim.py [--profile 2.16] [--port 3000] [--host 127.0.0.1] [--seed FILE] [--collections DIR]
"""
from __future__ import annotations

import argparse
import shlex
import signal
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SIM_DIR = REPO / "tests" / "simulator"
sys.path.insert(0, str(SIM_DIR))
from semaphore_sim.harness import SimulatorError, load_seed, running_simulator  # noqa: E402  pylint: disable=wrong-import-position


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="2.16", choices=["2.10", "2.13", "2.16", "2.18"])
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", default=str(SIM_DIR / "seed.yml"))
    parser.add_argument("--collections", help="ANSIBLE_COLLECTIONS_PATH to print in the export lines")
    parser.add_argument("--start-timeout", type=float, default=30)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the simulator on the way out too

    try:
        # The simulator's own output (warnings) stays on this terminal; its files in a temporary directory.
        with running_simulator(args.profile, seed=args.seed, host=args.host, port=args.port, log_file=False,
                               capture_output=False, start_timeout=args.start_timeout) as sim:
            print(banner(sim.url, args.profile, load_seed(args.seed), args.collections), flush=True)
            return sim.process.wait()
    except SimulatorError as exc:
        if exc.returncode is not None:
            print(f"make sim: the simulator exited (code {exc.returncode}); is port {args.port} "
                  "in use? Try PORT=3001.", file=sys.stderr)
        else:
            print(f"make sim: the simulator did not answer within {args.start_timeout:.0f}s", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        # Ctrl-C: the simulator (in its own session) was stopped on the way out.
        return 0


if __name__ == "__main__":
    sys.exit(main())
