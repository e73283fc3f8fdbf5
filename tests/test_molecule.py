"""Every Molecule scenario, run with `molecule test` on the local systemd hosts.

Each scenario asserts its own behaviour (converge, idempotence, verify); this
only drives them so the suite has one runner and one summary. The output
streams to the console as it comes; when a scenario fails, the failure message
repeats the tasks that failed (a scenario's destroy step prints hundreds of
lines after them, so a log's tail would not show them).
"""
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))
ANSI = re.compile(r"\x1b\[[0-9;]*m")
BOX = re.compile(r"^\s*\u2502 ?")  # molecule frames each playbook's output
FAILURE = re.compile(r"^(fatal|failed): |^ERROR!|^CRITICAL ")
TASK = re.compile(r"^(TASK|PLAY) \[")


def failures(lines, after=10):
    """The failed tasks in an ansible-playbook log: each with its task header."""
    found, task = [], ""
    for index, line in enumerate(lines):
        if TASK.match(line):
            task = line
        elif FAILURE.match(line):
            shown = lines[index:index + after]
            shown = shown[:next((i for i, s in enumerate(shown) if TASK.match(s)), len(shown))]
            if "...ignoring" not in shown:
                found.append("\n".join([task, *shown]))
    return found


@pytest.mark.molecule
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario, capsys):
    lines = []
    with capsys.disabled():
        began = time.monotonic()
        with subprocess.Popen(["molecule", "test", "-s", scenario], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, errors="replace", bufsize=1) as proc:
            for line in proc.stdout:
                sys.stdout.write(line)
                sys.stdout.flush()
                lines.append(BOX.sub("", ANSI.sub("", line.rstrip("\n"))))
        minutes, seconds = divmod(int(time.monotonic() - began), 60)
        print(f"\n==> molecule test -s {scenario}: {minutes}m{seconds:02d}s (exit {proc.returncode})", flush=True)
    if proc.returncode:
        shown = "\n\n".join(failures(lines)[-5:]) or "\n".join(lines[-40:])
        pytest.fail(f"molecule test -s {scenario} failed (exit {proc.returncode}); what failed:\n{shown}",
                    pytrace=False)
