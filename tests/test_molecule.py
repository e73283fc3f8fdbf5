"""Every Molecule scenario, run with `molecule test` on the local systemd test hosts.

Each scenario asserts its own behaviour (converge, idempotence, verify); this
only drives them so the suite has one runner and one summary.

The scenarios run in two lanes side by side (PRESETS_MLFLOW_LANES, default 2):
most of a scenario's time is spent waiting on its hosts, so two at once finish
the suite in little more than half the time on a 2-core machine. A lane that is
free takes the longest scenario left; each scenario's output goes to
.cache/logs/molecule-SCENARIO.log, and the console shows every step as it
starts, each scenario's time, and the whole output of a scenario that failed.
With one lane, or one scenario selected (`-k`), the output streams as it comes.
A failure message repeats the tasks that failed (a scenario's destroy step
prints hundreds of lines after them, so a log's tail would not show them).
"""
import os
import queue
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / ".cache" / "logs"
SCENARIOS = sorted(p.parent.name for p in (ROOT / "molecule").glob("*/molecule.yml"))
# Minutes each takes in a two-lane run on the 2-core CI machine (fresh, 2026-12-06): the lanes take the
# longest first.
MINUTES = {"scaleout": 36, "service": 26, "lifecycle": 24, "faults": 14, "default": 13, "preflight": 8, "sso": 4}
# Run under the newest Ansible (ansible-core 2.21 on a Debian 13 controller, with its
# ansible-lint and ansible-test sanity first): scripts/next-ansible. The others run under
# the suite's own ansible-core (requirements-dev.txt).
NEXT_ANSIBLE = {"default"}
ANSI = re.compile(r"\x1b\[[0-9;]*m")
BOX = re.compile(r"^\s*\u2502 ?")  # molecule frames each playbook's output
FAILURE = re.compile(r"^(fatal|failed): |^ERROR!|^CRITICAL ")
TASK = re.compile(r"^(TASK|PLAY) \[")
STEP = re.compile(r"\u279c (\w+): Executing")  # molecule's "scenario ➜ step: Executing"


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


def plain(line):
    return BOX.sub("", ANSI.sub("", line.rstrip("\n")))


def molecule(scenario, on_line):
    """Run `molecule test -s scenario` (under the newest Ansible for NEXT_ANSIBLE), each output line to
    on_line; its exit status and seconds."""
    began = time.monotonic()
    argv = [str(ROOT / "scripts" / "next-ansible"), scenario] if scenario in NEXT_ANSIBLE else \
        ["molecule", "test", "-s", scenario]
    with subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace", bufsize=1) as proc:
        for line in proc.stdout:
            on_line(line)
    return proc.returncode, time.monotonic() - began


class Lanes:
    """Runs the selected scenarios in lanes, in the background; tests wait for their own."""

    def __init__(self, scenarios, lanes):
        self.progress = queue.Queue()
        self.done = {s: threading.Event() for s in scenarios}
        self.result = {}
        LOGS.mkdir(parents=True, exist_ok=True)
        # Longest first, each lane taking the next when it is free: a lane
        # whose scenario ends early is not left idle behind a fixed plan.
        self.queue = queue.Queue()
        for scenario in sorted(scenarios, key=lambda s: -MINUTES.get(s, 10)):
            self.queue.put(scenario)
        for number in range(1, lanes + 1):
            threading.Thread(target=self.run, args=(number,), daemon=True).start()

    def run(self, number):
        while True:
            try:
                scenario = self.queue.get_nowait()
            except queue.Empty:
                return
            self.progress.put(f"==> lane {number}: {scenario}")
            log = LOGS / f"molecule-{scenario}.log"
            with log.open("w") as out:
                def on_line(line, out=out, scenario=scenario):
                    out.write(line)
                    step = STEP.search(plain(line))
                    if step:
                        self.progress.put(f"[{scenario}] {time.strftime('%H:%M:%S')} {step.group(1)}")
                try:
                    self.result[scenario] = molecule(scenario, on_line) + (log,)
                except Exception as error:  # noqa: BLE001 - reported by the scenario's test
                    out.write(f"could not run molecule: {error!r}\n")
                    self.result[scenario] = (-1, 0.0, log)
            status, seconds, _rest = self.result[scenario]
            self.progress.put(f"[{scenario}] {time.strftime('%H:%M:%S')} done in "
                              f"{int(seconds) // 60}m{int(seconds) % 60:02d}s ({'passed' if status == 0 else 'FAILED'})")
            self.done[scenario].set()

    def wait(self, scenario):
        while not self.done[scenario].wait(timeout=1):
            self.show()
        self.show()
        return self.result[scenario]

    def show(self):
        while not self.progress.empty():
            print(self.progress.get(), flush=True)


@pytest.fixture(scope="session")
def lanes(request):
    selected = [item.callspec.params["scenario"] for item in request.session.items
                if item.originalname == "test_scenario"]
    count = int(os.environ.get("PRESETS_MLFLOW_LANES", "2"))
    return Lanes(selected, count) if count > 1 and len(selected) > 1 else None


@pytest.mark.molecule
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario(scenario, lanes, capsys):
    with capsys.disabled():
        if lanes:
            status, seconds, log = lanes.wait(scenario)
            lines = [plain(line) for line in log.read_text(errors="replace").splitlines()]
            if status:
                print(f"\n==> the output of molecule test -s {scenario} ({log}):", flush=True)
                print("\n".join(lines), flush=True)
        else:
            lines = []

            def on_line(line):
                sys.stdout.write(line)
                sys.stdout.flush()
                lines.append(plain(line))
            status, seconds = molecule(scenario, on_line)
        minutes, seconds = divmod(int(seconds), 60)
        print(f"\n==> molecule test -s {scenario}: {minutes}m{seconds:02d}s (exit {status})", flush=True)
    if status:
        shown = "\n\n".join(failures(lines)[-5:]) or "\n".join(lines[-40:])
        pytest.fail(f"molecule test -s {scenario} failed (exit {status}); what failed:\n{shown}",
                    pytrace=False)
