"""The bench's pure parts (bench/cases.py, bench/report.py): importable without starting anything."""
from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))
