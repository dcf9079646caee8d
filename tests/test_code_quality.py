"""The code stays ruff-clean and mypy-clean (strict), as DEVELOPERS.md asks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["core", "gateway", "schema", "resolvers", "cache", "simulators"]
# Held to the same checks: a wrong type in a test can hide an assertion that never fails.
TESTS_AND_BENCHES = ["tests", "bench"]


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_ruff_finds_nothing_to_complain_about():
    result = run("ruff", "check", *PACKAGES, *TESTS_AND_BENCHES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes_on_every_package_and_on_the_tests_and_benches():
    # One run, not two, so the packages the tests import are analysed once.
    result = run("mypy", *PACKAGES, *TESTS_AND_BENCHES)
    assert result.returncode == 0, result.stdout + result.stderr
