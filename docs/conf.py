"""Sphinx settings for the collection's reference, built offline by scripts/docs."""
project = "presets.mlflow"
copyright = "presets.mlflow contributors"  # noqa: A001 - Sphinx's own setting name  # pylint: disable=redefined-builtin
title = "presets.mlflow reference"
html_short_title = "presets.mlflow"
extensions = ["sphinx_antsibull_ext"]
pygments_style = "ansible"
highlight_language = "YAML+Jinja"
html_theme = "sphinx_ansible_theme"
html_show_sphinx = False
html_use_modindex = False
html_use_index = False
html_copy_source = False
default_role = "any"
# every reference must resolve (Ansible's own docsite is not reachable from
# the test machines: ansible_labels.rst stands in for its two labels).
nitpicky = True
