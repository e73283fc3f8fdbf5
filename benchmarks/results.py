"""The benchmarks' one table: each benchmark appends its figures to a results
file (JSON lines), and `results.py table FILE` prints them as one Markdown
table, every figure beside what it was measured against in the same run.

  results.py add FILE SECTION FIGURE OURS REFERENCE RATIO GOAL
  results.py table FILE
"""
import json
import sys
from pathlib import Path


def record(path, section, figure, ours, reference, ratio, goal=""):
    """Append one row. ours/reference are strings with their units; ratio a
    number (or None); goal a string such as '>= 0.9x' or ''."""
    row = {"section": section, "figure": figure, "ours": ours, "reference": reference,
           "ratio": None if ratio is None else round(float(ratio), 2), "goal": goal}
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")


def met(ratio, goal):
    """'yes'/'no' for goals of the form '>= X' or '<= X' (ratios), else ''."""
    if ratio is None or not goal:
        return ""
    op, _sep, value = goal.partition(" ")
    value = float(value.rstrip("x"))
    return "yes" if (ratio >= value if op == ">=" else ratio <= value) else "no"


def table(path):
    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    lines = ["| | figure | ours | measured against | ratio | goal | met |", "|---|---|---|---|---|---|---|"]
    for row in rows:
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}x"
        lines.append(f"| {row['section']} | {row['figure']} | {row['ours']} | {row['reference']} | {ratio} "
                     f"| {row['goal']} | {met(row['ratio'], row['goal'])} |")
    return "\n".join(lines)


def main(argv):
    if len(argv) >= 2 and argv[0] == "table":
        print(table(argv[1]))
    elif len(argv) in (7, 8) and argv[0] == "add":
        record(argv[1], *argv[2:6], None if argv[6] in ("", "-") else argv[6], *(argv[7:] or [""]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
