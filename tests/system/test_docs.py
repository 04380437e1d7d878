"""The README's "Tested versions" table says what tests/matrix.yml defines, so the two cannot drift."""
from __future__ import annotations

import re

import yaml

from conftest import REPO

STEPS_OF_THE_VENV = "all of `make test`"


def readme_rows() -> dict[str, tuple[str, str]]:
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Tested versions"):text.index("### Tested against a real Semaphore")]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and re.match(r"^2\.\d+", cells[0]):
            rows[cells[0].split(" ")[0]] = (cells[1], cells[2])
    return rows


def test_the_tested_versions_table_matches_the_matrix():
    matrix = yaml.safe_load((REPO / "tests" / "matrix.yml").read_text())
    rows = readme_rows()
    expected = {entry["core"]: (entry["python"], ", ".join(entry["steps"])) for entry in matrix["entries"]}
    venv_rows = {core: row for core, row in rows.items() if row[1].startswith(STEPS_OF_THE_VENV)}
    assert list(venv_rows) == ["2.19"]  # the .venv's ansible-core (tests/requirements-dev.txt)
    assert "ansible-core>=2.19,<2.20" in (REPO / "tests" / "requirements-dev.txt").read_text()
    assert {core: row for core, row in rows.items() if core not in venv_rows} == expected


def test_requires_ansible_is_the_oldest_version_tested():
    matrix = yaml.safe_load((REPO / "tests" / "matrix.yml").read_text())
    oldest = min(tuple(int(part) for part in entry["core"].split(".")[:2]) for entry in matrix["entries"])
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    assert runtime["requires_ansible"] == ">={0}.{1}.0".format(*oldest)


def test_every_module_is_in_the_action_group_and_the_readme_counts_them():
    modules = sorted(path.stem for path in (REPO / "plugins" / "modules").glob("semaphore_*.py"))
    runtime = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())
    assert sorted(runtime["action_groups"]["semaphore"]) == modules
    readme = (REPO / "README.md").read_text()
    assert f"All {len(modules)} modules are in the action group `semaphore.api.semaphore`" in readme
