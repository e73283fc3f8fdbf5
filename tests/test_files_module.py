"""The files module, run as Ansible runs it (a JSON file of arguments), against a temporary directory."""
import grp
import json
import os
import pwd
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODULE = ROOT / "plugins" / "modules" / "files.py"
USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def run(tmp_path, files, check=False, diff=False):
    args = tmp_path / "args.json"
    args.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {
        "files": files, "_ansible_check_mode": check, "_ansible_diff": diff}}))
    done = subprocess.run([sys.executable, str(MODULE), str(args)], capture_output=True, text=True, check=False)
    return json.loads(done.stdout)


def mode_of(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def declared(base, content="a=1\n", mode="0640"):
    return [
        {"path": str(base / "etc"), "state": "directory", "owner": USER, "group": GROUP, "mode": "0750"},
        {"path": str(base / "etc" / "app.env"), "content": content, "owner": USER, "group": GROUP, "mode": mode},
        {"path": str(base / "gone"), "state": "absent"},
    ]


def test_everything_is_made_in_one_call_and_a_rerun_changes_nothing(tmp_path):
    (tmp_path / "gone").write_text("old")
    first = run(tmp_path, declared(tmp_path))
    assert first["changed"] and first["changed_paths"] == [str(tmp_path / p) for p in ("etc", "etc/app.env", "gone")]
    assert (tmp_path / "etc" / "app.env").read_text() == "a=1\n"
    assert mode_of(tmp_path / "etc") == 0o750 and mode_of(tmp_path / "etc" / "app.env") == 0o640
    assert not (tmp_path / "gone").exists()
    again = run(tmp_path, declared(tmp_path))
    assert not again["changed"] and again["changed_paths"] == []
    assert [f["changed"] for f in again["files"]] == [False, False, False]


def test_check_mode_reports_what_would_change_and_touches_nothing(tmp_path):
    (tmp_path / "gone").write_text("old")
    result = run(tmp_path, declared(tmp_path), check=True, diff=True)
    assert result["changed"] and len(result["changed_paths"]) == 3
    assert not (tmp_path / "etc").exists() and (tmp_path / "gone").exists()
    assert {"before": "", "after": "a=1\n"}.items() <= result["diff"][1].items()


def test_only_a_changed_content_is_written_and_it_replaces_the_file_whole(tmp_path):
    run(tmp_path, declared(tmp_path))
    target = tmp_path / "etc" / "app.env"
    inode = target.stat().st_ino
    result = run(tmp_path, declared(tmp_path, content="a=2\n"), diff=True)
    assert result["changed_paths"] == [str(target)] and result["files"][1]["content_changed"]
    assert target.read_text() == "a=2\n" and target.stat().st_ino != inode
    assert result["diff"] == [{"before": "a=1\n", "after": "a=2\n",
                               "before_header": str(target), "after_header": str(target)}]
    assert sorted(p.name for p in target.parent.iterdir()) == ["app.env"]


def test_a_mode_alone_is_corrected_without_rewriting(tmp_path):
    run(tmp_path, declared(tmp_path))
    target = tmp_path / "etc" / "app.env"
    inode = target.stat().st_ino
    result = run(tmp_path, declared(tmp_path, mode="0600"))
    assert result["changed_paths"] == [str(target)] and not result["files"][1]["content_changed"]
    assert mode_of(target) == 0o600 and target.stat().st_ino == inode


def test_a_new_secret_never_takes_the_old_files_looser_mode(tmp_path):
    run(tmp_path, declared(tmp_path, mode="0644"))
    run(tmp_path, declared(tmp_path, content="secret\n", mode="0600"))
    assert mode_of(tmp_path / "etc" / "app.env") == 0o600


def test_a_content_failing_validation_leaves_the_file_as_it_was(tmp_path):
    run(tmp_path, declared(tmp_path))
    files = declared(tmp_path, content="broken\n")
    files[1]["validate"] = "grep -q = %s"
    result = run(tmp_path, files)
    assert result.get("failed") and "failed validation" in result["msg"]
    assert (tmp_path / "etc" / "app.env").read_text() == "a=1\n"
    assert sorted(p.name for p in (tmp_path / "etc").iterdir()) == ["app.env"]
    files[1]["content"] = "b=2\n"
    assert run(tmp_path, files)["changed"] and (tmp_path / "etc" / "app.env").read_text() == "b=2\n"


def test_a_file_in_a_missing_directory_fails_with_its_path(tmp_path):
    result = run(tmp_path, [{"path": str(tmp_path / "no" / "f"), "content": "x", "mode": "0644"}])
    assert result.get("failed") and result["msg"] == "%s: its directory %s does not exist" % (
        tmp_path / "no" / "f", tmp_path / "no")


def test_a_link_is_made_moved_and_left_alone_when_it_points_right(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "tool").write_text("old file in the way")
    link = {"path": str(tmp_path / "bin" / "tool"), "state": "link", "src": "../venvs/1/bin/tool"}
    first = run(tmp_path, [link], diff=True)
    assert first["changed"] and os.readlink(tmp_path / "bin" / "tool") == "../venvs/1/bin/tool"
    assert first["diff"] == [{"before": {"path": link["path"], "src": "file"},
                              "after": {"path": link["path"], "src": "../venvs/1/bin/tool"}}]
    assert not run(tmp_path, [link])["changed"]
    moved = dict(link, src="../venvs/2/bin/tool")
    assert run(tmp_path, [moved], check=True)["changed"]
    assert os.readlink(tmp_path / "bin" / "tool") == "../venvs/1/bin/tool"
    assert run(tmp_path, [moved])["changed_paths"] == [link["path"]]
    assert os.readlink(tmp_path / "bin" / "tool") == "../venvs/2/bin/tool"
    assert sorted(p.name for p in (tmp_path / "bin").iterdir()) == ["tool"]
