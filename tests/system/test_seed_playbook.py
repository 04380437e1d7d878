"""tests/integration/seed.yml (make seed) creates what tests/simulator/seed.yml describes, through the
collection's own modules, on simulators of the oldest and newest profiles; a second run changes nothing."""
from __future__ import annotations

import json
import re
import subprocess

import pytest
import requests
import yaml

from conftest import ADMIN_PASSWORD, BIN, REPO, SIM_DIR, ansible_env, simulator

PLAYBOOKS = REPO / "tests" / "integration" / "seed_playbooks"
RECAP = re.compile(r"^localhost\s+: ok=\d+\s+changed=(\d+)\s+unreachable=0\s+failed=0", re.MULTILINE)


def seed(collections_path, tmp_path, url: str) -> int:
    """Run the seed playbook into project "Seeded"; the number of changed tasks."""
    done = subprocess.run([str(BIN / "ansible-playbook"), str(REPO / "tests" / "integration" / "seed.yml"),
                           "-e", "seed_project=Seeded", "-e", f"seed_config={tmp_path / 'config.yml'}",
                           "-e", f"seed_repo_dir={tmp_path / 'repo'}"],
                          capture_output=True, text=True, timeout=300, check=False, cwd=str(tmp_path),
                          env=ansible_env(collections_path, SEMAPHORE_URL=url, SEMAPHORE_USERNAME="admin",
                                          SEMAPHORE_PASSWORD=ADMIN_PASSWORD))
    print(done.stdout, done.stderr)
    assert done.returncode == 0
    assert ADMIN_PASSWORD not in done.stdout + done.stderr
    # Each loop item is labelled with what is registered: the local repository, not the seed's own URL.
    assert "git.example.com" not in done.stdout
    assert f"(item=app: file://{tmp_path / 'repo'})" in done.stdout
    return int(RECAP.findall(done.stdout)[-1])


@pytest.mark.parametrize("profile", ["2.10", "2.18"])
def test_the_seed_playbook_creates_the_seeds_project(tmp_path, collections_path, profile):
    with simulator(tmp_path, profile=profile) as sim:
        assert seed(collections_path, tmp_path, sim.url) > 0
        # Again: the repository is committed only when its playbooks changed, the server left as it is.
        assert seed(collections_path, tmp_path, sim.url) == 0
        session = requests.Session()
        assert session.post(sim.url + "/api/auth/login", json={"auth": "admin", "password": ADMIN_PASSWORD},
                            timeout=10).status_code == 204
        project = next(item for item in session.get(sim.url + "/api/projects", timeout=10).json()
                       if item["name"] == "Seeded")
        base = f"{sim.url}/api/project/{project['id']}"
        inventories = {item["name"]: item for item in session.get(base + "/inventory", timeout=10).json()}
        templates = {item["name"]: session.get(f"{base}/templates/{item['id']}", timeout=10).json()
                     for item in session.get(base + "/templates", timeout=10).json()}
    seed_file = yaml.safe_load((SIM_DIR / "seed.yml").read_text(encoding="utf-8"))
    demo = next(item for item in seed_file["projects"] if item["name"] == "Demo")
    real = seed_file["real_server"]
    assert project.get("max_parallel_tasks", 0) == demo["max_parallel_tasks"]
    assert inventories["Production"]["inventory"] == "[web]\nweb1 ansible_connection=local\nweb2 ansible_connection=local\n"
    assert sorted(templates) == sorted(list(real["playbooks"]) + [item["name"] for item in real["templates"]])
    wanted = {item["name"]: item for item in reversed(demo["templates"])}
    for name, playbook in real["playbooks"].items():
        assert (PLAYBOOKS / playbook).exists(), playbook
        made = templates[name]
        assert made["playbook"] == playbook and (made.get("app") or "ansible") == wanted[name].get("app", "ansible")
        inventory = next(item["name"] for item in demo["inventories"] if item["id"] == wanted[name]["inventory_id"])
        assert made["inventory_id"] == inventories[inventory]["id"]
        # The flags the version has are set as the seed says; 2.10 has neither task_params nor these two.
        if profile == "2.18":
            for flag, value in (wanted[name].get("task_params") or {}).items():
                assert made["task_params"].get(flag, False) == value, (name, flag)
            for flag in ("allow_override_branch_in_task", "allow_parallel_tasks"):
                assert made.get(flag, False) == wanted[name].get(flag, False), (name, flag)
        else:
            assert not (made.get("task_params") or {}), name
    written = yaml.safe_load((tmp_path / "config.yml").read_text(encoding="utf-8"))
    assert written["semaphore_url"] == sim.url and written["semaphore_password"] == ADMIN_PASSWORD
    assert written["semaphore_project"] == "Seeded"
    assert {written[key] for key in written if key.startswith("semaphore_template_")} <= set(templates)
    assert json.loads(json.dumps(written))["semaphore_simulator"] is False
