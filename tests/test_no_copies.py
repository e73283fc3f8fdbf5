"""No block of six or more lines stands twice in the roles' tasks, handlers and templates.

The `duplicates` tool reads Python but not YAML or Jinja, so this test does the same for them: a
security-critical block (the unit hardening, the TLS policy, the certificate) has one home
(roles/_common), and a fix cannot miss a copy. Lines compare with blank lines and comments left
out and white space folded.
"""
import collections
import pathlib
import shutil
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
RUN = 6


def significant_lines(path):
    """(line number, folded text) of each line that is not blank or a comment."""
    lines = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        folded = " ".join(line.split())
        if not folded or folded == "---" or folded.startswith(("#", "{#")):
            continue
        lines.append((number, folded))
    return lines


def role_sources(root):
    for pattern in ("roles/*/tasks/*.yml", "roles/*/handlers/*.yml", "roles/*/templates/**/*"):
        yield from (p for p in sorted(root.glob(pattern)) if p.is_file())


def copies(root, run=RUN):
    """Each run of `run` lines that stands in more than one place, with its places."""
    places = collections.defaultdict(list)
    for path in role_sources(root):
        lines = significant_lines(path)
        for start in range(len(lines) - run + 1):
            key = tuple(text for number, text in lines[start:start + run])
            places[key].append(f"{path.relative_to(root)}:{lines[start][0]}")
    return {key: where for key, where in places.items() if len(where) > 1}


def test_no_block_of_six_lines_is_copied():
    found = copies(ROOT)
    report = "\n".join(f"{' ~ '.join(where)}: {key[0]} ..." for key, where in found.items())
    assert not found, f"blocks of {RUN}+ lines stand twice; give each one home:\n{report}"


@pytest.mark.parametrize("where", ["same file", "two roles"])
def test_a_copy_is_found(tmp_path, where):
    block = "".join(f"line {n}: value\n" for n in range(RUN))
    first = tmp_path / "roles/a/tasks/main.yml"
    second = tmp_path / ("roles/a/tasks/main.yml" if where == "same file" else "roles/b/templates/x.j2")
    for path in (first, second):
        path.parent.mkdir(parents=True, exist_ok=True)
    first.write_text("---\n" + block + "other: 1\n" + ("# a comment\n" + block if where == "same file" else ""))
    if where == "two roles":
        second.write_text("  " + block.replace("\n", "\n  "))
    assert copies(tmp_path), "a copied block was not found"
    assert not copies(tmp_path, run=RUN + 2)


def test_the_roles_python_has_no_copies():
    """The roles' helpers (files/*.py), read by the `duplicates` tool where the machine has it."""
    tool = shutil.which("duplicates")
    if tool is None:
        pytest.skip("the duplicates tool is not on this machine")
    out = subprocess.run([tool, "--repo", "roles"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.startswith("no duplicates"), out


def test_node_and_balancer_name_the_member_files_alike():
    """A node marks itself in the upstream file the balancer wrote: the same directory and file name
    (roles/mlflow/tasks/balancers.yml on the node, roles/_common/tasks/members.yml on the balancer)."""
    node = yaml.safe_load((ROOT / "roles/mlflow/vars/main.yml").read_text(encoding="utf-8"))
    common = yaml.safe_load((ROOT / "roles/_common/vars/main.yml").read_text(encoding="utf-8"))
    assert node["__mlflow_balancer_members_dir"] == common["_common_members_dir"]
    name = "{{ %s }}/{{ %s | regex_replace('[^A-Za-z0-9.-]', '_') }}.conf"
    node_name = name % ("__mlflow_balancer_members_dir", "_mlflow_balancer_address")
    assert node["_mlflow_balancer_member_file"].strip() == node_name
    assert common["_common_member_file"].strip() == name % ("_common_members_dir", "_common_member_address")
