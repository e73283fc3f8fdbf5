#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: presets.mlflow maintainers
# Apache License 2.0 (see LICENSE)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: files
short_description: Keep a set of files and directories as declared, in one round trip
version_added: 0.3.0
description:
  - Ensures each of several files has the given content, owner, group and mode, each directory exists with
    its owner, group and mode, each link points where it should, and each path given as absent is gone, all
    in one call of the module. A link's owner, group and mode are those it gets (they are not managed).
  - A role that renders ten small files with C(ansible.builtin.template) pays ten round trips to the host on
    every run even when nothing changes; over SSH each costs about half a second. Give this module the
    rendered contents instead (the C(ansible.builtin.template) and C(ansible.builtin.file)
    lookups render and read them on the controller) and a re-run with nothing to do costs one round trip.
  - A file's content is only written when it differs, to a temporary file beside it that is checked first
    (O(files[].validate)) and then moved into place atomically, so a reader never sees half a file.
  - Contents travel in the module's arguments. Put C(no_log) on a task whose contents hold secrets; they are
    never on a command line.
extends_documentation_fragment:
  - presets.mlflow.attributes
options:
  files:
    description: The files and directories, handled in the order given (a directory before what it holds).
    type: list
    elements: dict
    required: true
    suboptions:
      path:
        description: The absolute path of the file or directory.
        type: path
        required: true
      state:
        description:
          - V(file) makes the file hold O(files[].content); V(directory) makes a directory (and its missing
            parents); V(link) makes a symbolic link to O(files[].src), replacing a file or link in its place;
            V(absent) removes a file or link, or a directory with what it holds.
        type: str
        choices: [file, directory, link, absent]
        default: file
      content:
        description: The file's content, as text (written as UTF-8). Required when O(files[].state=file).
        type: str
      src:
        description: What a link points to, as it is written in the link. Required when O(files[].state=link).
        type: path
      owner:
        description: The owner's name. When not given, a new file or directory gets the module's user.
        type: str
      group:
        description: The group's name. When not given, a new file or directory gets the user's group.
        type: str
      mode:
        description:
          - The permissions, as an octal string (V('0644')) or a symbolic mode (V(u=rw,g=r,o=r)). When not
            given, the umask decides for a new file or directory.
        type: raw
      validate:
        description:
          - A command that checks a new content before it replaces the file; C(%s) stands for the path of the
            temporary file that holds it. Runs without a shell. The file is left as it was when it fails.
        type: str
author:
  - presets.mlflow maintainers (@presets)
"""

EXAMPLES = r"""
- name: Ensure the service's configuration is in place
  presets.mlflow.files:
    files:
      - path: /etc/example
        state: directory
        owner: root
        group: root
        mode: "0755"
      - path: /etc/example/example.env
        content: "{{ lookup('ansible.builtin.template', 'example.env.j2') }}"
        owner: root
        group: example
        mode: "0640"
      - path: /usr/local/lib/example/helper.py
        content: "{{ lookup('ansible.builtin.file', 'helper.py', rstrip=false) }}"
        owner: root
        group: root
        mode: "0755"
      - path: /usr/local/bin/example
        state: link
        src: /opt/example/bin/example
      - path: /etc/nginx/sites-enabled/default
        state: absent
  no_log: true
  notify: Restart example
"""

RETURN = r"""
changed_paths:
  description: The paths that were (or, in check mode, would be) created, changed or removed, in the order given.
  returned: always
  type: list
  elements: str
  sample: [/etc/example/example.env]
files:
  description: One entry for each of O(files), in the same order.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The path.
      type: str
      returned: always
    state:
      description: The state asked for.
      type: str
      returned: always
    changed:
      description: Whether the path was (or would be) created, changed or removed.
      type: bool
      returned: always
    content_changed:
      description: Whether a file's content was (or would be) written.
      type: bool
      returned: always
"""

import os
import shutil
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def as_text(data):
    """Text for a diff, or None when the bytes are not UTF-8 text."""
    try:
        return to_text(data, errors="strict")
    except UnicodeError:
        return None


class FileSet(object):
    def __init__(self, module):
        self.module = module
        self.check = module.check_mode
        self.diffs = []
        self.results = []

    def file_args(self, entry, path=None):
        """The arguments AnsibleModule's attribute helpers expect, for one entry (or its temporary file)."""
        return self.module.load_file_common_arguments(
            {"path": path or entry["path"], "owner": entry.get("owner"), "group": entry.get("group"),
             "mode": entry.get("mode")})

    def parent(self, entry):
        """The directory a new file or link goes into, which must exist."""
        parent = os.path.dirname(entry["path"])
        if not os.path.isdir(parent):
            self.fail(entry, "its directory %s does not exist" % parent)
        return parent

    def fail(self, entry, msg):
        self.module.fail_json(msg="%s: %s" % (entry["path"], msg), changed_paths=self.changed_paths)

    def attributes(self, entry, changed):
        """Owner, group and mode, when the path exists (in check mode a new one may not)."""
        if not os.path.lexists(entry["path"]):
            return changed
        diff = {"before": {}, "after": {}}
        changed = self.module.set_fs_attributes_if_different(self.file_args(entry), changed, diff=diff)
        if diff["before"] or diff["after"]:
            diff["before_header"] = diff["after_header"] = entry["path"]
            self.diffs.append(diff)
        return changed

    def directory(self, entry):
        path = entry["path"]
        if os.path.lexists(path) and not os.path.isdir(path):
            self.fail(entry, "is there and is not a directory; remove it first")
        created = False
        if not os.path.isdir(path):
            created = True
            self.diffs.append({"before": {"path": path, "state": "absent"},
                               "after": {"path": path, "state": "directory"}})
            if not self.check:
                try:
                    os.makedirs(path)
                except OSError as e:
                    self.fail(entry, "cannot be made: %s" % to_native(e))
        return self.attributes(entry, created), False

    def absent(self, entry):
        path = entry["path"]
        if not os.path.lexists(path):
            return False, False
        is_dir = os.path.isdir(path) and not os.path.islink(path)
        self.diffs.append({"before": {"path": path, "state": "directory" if is_dir else "file"},
                           "after": {"path": path, "state": "absent"}})
        if not self.check:
            try:
                if is_dir:
                    shutil.rmtree(path)
                else:
                    os.unlink(path)
            except OSError as e:
                self.fail(entry, "cannot be removed: %s" % to_native(e))
        return True, False

    def link(self, entry):
        path, src = entry["path"], entry.get("src")
        if not src:
            self.fail(entry, "src is required for a link")
        if os.path.islink(path) and os.readlink(path) == src:
            return False, False
        if os.path.isdir(path) and not os.path.islink(path):
            self.fail(entry, "is a directory; a link cannot replace it")
        before = os.readlink(path) if os.path.islink(path) else ("file" if os.path.lexists(path) else "absent")
        self.diffs.append({"before": {"path": path, "src": before}, "after": {"path": path, "src": src}})
        if self.check:
            return True, False
        parent = self.parent(entry)
        # Made beside it and renamed over it: never a moment without it.
        tmp = os.path.join(parent, ".%s.%d.tmp" % (os.path.basename(path), os.getpid()))
        try:
            os.symlink(src, tmp)
            os.rename(tmp, path)
        except OSError as e:
            if os.path.lexists(tmp):
                os.unlink(tmp)
            self.fail(entry, "cannot be linked to %s: %s" % (src, to_native(e)))
        return True, False

    def file(self, entry):
        path = entry["path"]
        if entry.get("content") is None:
            self.fail(entry, "content is required for a file")
        wanted = to_bytes(entry["content"], errors="surrogate_or_strict")
        if os.path.isdir(path) and not os.path.islink(path):
            self.fail(entry, "is a directory; a file cannot replace it")
        current = read_bytes(path) if os.path.lexists(path) and os.path.isfile(path) else None
        if current == wanted:
            return self.attributes(entry, False), False
        before, after = (as_text(current) if current is not None else ""), as_text(wanted)
        if before is not None and after is not None:
            self.diffs.append({"before": before, "after": after, "before_header": path, "after_header": path})
        if self.check:
            return self.attributes(entry, True), True
        fd, tmp = tempfile.mkstemp(dir=self.parent(entry), prefix=".%s." % os.path.basename(path))
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(wanted)
            # The temporary file gets the final attributes before it is seen.
            self.module.set_fs_attributes_if_different(self.file_args(entry, tmp), False)
            if entry.get("validate"):
                rc, out, err = self.module.run_command(entry["validate"] % tmp)
                if rc != 0:
                    self.fail(entry, "the new content failed validation (rc=%d): %s" % (rc, (err or out).strip()))
            # The old file's attributes only for those not given (never a looser mode for a new secret).
            given = all(entry.get(k) is not None for k in ("owner", "group", "mode"))
            self.module.atomic_move(tmp, path, keep_dest_attrs=not given)
        finally:
            if os.path.lexists(tmp):
                os.unlink(tmp)
        return self.attributes(entry, True), True

    @property
    def changed_paths(self):
        return [r["path"] for r in self.results if r["changed"]]

    def run(self, entries):
        # Bad input fails before anything changes.
        for entry in entries:
            if not os.path.isabs(entry["path"]):
                self.fail(entry, "the path must be absolute")
            if entry.get("validate") and "%s" not in entry["validate"]:
                self.fail(entry, "validate must contain %%s: %s" % entry["validate"])
        for entry in entries:
            changed, content_changed = getattr(self, entry["state"])(entry)
            self.results.append({"path": entry["path"], "state": entry["state"], "changed": changed,
                                 "content_changed": content_changed})
        result = {"changed": any(r["changed"] for r in self.results), "files": self.results,
                  "changed_paths": self.changed_paths}
        if self.module._diff and self.diffs:
            result["diff"] = self.diffs
        return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            files=dict(type="list", elements="dict", required=True, options=dict(
                path=dict(type="path", required=True),
                state=dict(type="str", choices=["file", "directory", "link", "absent"], default="file"),
                content=dict(type="str"),
                src=dict(type="path"),
                owner=dict(type="str"),
                group=dict(type="str"),
                mode=dict(type="raw"),
                validate=dict(type="str"),
            )),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**FileSet(module).run(module.params["files"]))


if __name__ == "__main__":
    main()
