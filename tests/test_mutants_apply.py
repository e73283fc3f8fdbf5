"""Every seeded fault of scripts/mutants still applies: the text it replaces stands once in its file.

A fault whose text moved away would leave its promise unguarded without a word (the mutants run is
long and not part of CI); this quick test says so at once.
"""
import pytest

from mutants import FAULTS, ROOT


@pytest.mark.parametrize("fault", FAULTS, ids=[fault.name for fault in FAULTS])
def test_the_fault_applies(fault):
    text = (ROOT / fault.path).read_text(encoding="utf-8")
    assert text.count(fault.old) == 1, f"{fault.name}: its text stands {text.count(fault.old)} times in {fault.path}"
    assert fault.new != fault.old
