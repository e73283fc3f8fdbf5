"""Every Molecule scenario, run with `molecule test` on the local systemd hosts.

Each scenario asserts its own behaviour (converge, idempotence, verify); this
only drives them so the suite has one runner and one summary. The output
streams to the console as it comes.
"""
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))


@pytest.mark.molecule
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario, capsys):
    with capsys.disabled():
        began = time.monotonic()
        proc = subprocess.run(["molecule", "test", "-s", scenario], cwd=ROOT)
        minutes, seconds = divmod(int(time.monotonic() - began), 60)
        print(f"\n==> molecule test -s {scenario}: {minutes}m{seconds:02d}s (exit {proc.returncode})", flush=True)
    assert proc.returncode == 0, f"molecule test -s {scenario} failed (exit {proc.returncode})"
