"""Generate the README's variable tables from each role's meta/argument_specs.yml.

Usage: scripts/readme_vars.py [--check]
The tables live in README.md between `<!-- BEGIN VARS role -->` and
`<!-- END VARS role -->`. Without --check the README is rewritten; with it the
script exits 1 when the README is out of date.
"""
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def _cell(text):
    text = " ".join(str(text).split())
    # Ansible doc markup to Markdown: C(x)/V(x)/O(x) -> `x`.
    text = re.sub(r"\b[CVO]\(([^)]*)\)", r"`\1`", text)
    return text.replace("|", "\\|")


def table(role):
    spec = yaml.safe_load((ROOT / "roles" / role / "meta" / "argument_specs.yml").read_text())
    options = spec["argument_specs"]["main"]["options"]
    rows = ["| variable | type | default | description |", "|---|---|---|---|"]
    for name, opt in options.items():
        kind = opt.get("type", "str")
        if "choices" in opt:
            kind += " (" + ", ".join(f"`{c}`" for c in opt["choices"]) + ")"
        default = opt.get("default")
        default = "" if default is None else f"`{yaml.safe_dump(default, default_flow_style=True).strip().removesuffix('...').strip()}`"
        desc = opt.get("description", "")
        desc = " ".join(desc) if isinstance(desc, list) else desc
        rows.append(f"| `{name}` | {_cell(kind)} | {default} | {_cell(desc)} |")
    return "\n".join(rows)


def render(readme):
    def repl(match):
        return f"{match.group(1)}\n{table(match.group(2))}\n{match.group(3)}"

    return re.sub(
        r"(<!-- BEGIN VARS (\S+) -->)\n(?:.*?\n)?(<!-- END VARS \2 -->)", repl, readme, flags=re.S
    )


def main(argv):
    current = README.read_text()
    wanted = render(current)
    if "--check" in argv:
        if current != wanted:
            print("README.md variable tables are out of date: run scripts/readme_vars.py", file=sys.stderr)
            return 1
        return 0
    README.write_text(wanted)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
