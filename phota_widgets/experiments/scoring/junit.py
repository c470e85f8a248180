"""JUnit XML of a scored sweep: one test case per output and check, so CI lists each failure."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from phota_widgets.experiments.scoring.summary import scores_by_output
from phota_widgets.files import atomic_write

if TYPE_CHECKING:
    from phota_widgets.experiments.sweeps.result import SweepResult


def write_junit(result: SweepResult, path: Path) -> Path:
    """Write ``path``: a ``<testsuite>`` per sweep; a failed check is a ``<failure>`` with its
    reason; a check that did not apply (no verdict) is ``<skipped>``."""
    by_output = scores_by_output(result)
    suite = ET.Element("testsuite", name=f"phota sweep {result.name or result.sweep_id}")
    tests = failed = skipped = 0
    for output in result.outputs():
        info = output.cell.info
        for name, record in sorted(by_output.get(output.output_id, {}).items()):
            tests += 1
            case = ET.SubElement(
                suite, "testcase", classname=info.variant, name=f"{output.output_id} {name}"
            )
            value = "" if record.value is None else f" (value {record.value:.4g})"
            if record.passed is False:
                failed += 1
                failure = ET.SubElement(
                    case, "failure", message=f"{name} failed{value}: {record.detail}"
                )
                failure.text = f"prompt: {info.prompt}\noutput: {output.path}"
            elif record.passed is None:
                skipped += 1
                ET.SubElement(case, "skipped", message=record.detail or "no verdict")
    suite.set("tests", str(tests))
    suite.set("failures", str(failed))
    suite.set("skipped", str(skipped))
    suite.set("errors", "0")
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, ET.tostring(root, encoding="utf-8", xml_declaration=True))
    return path
