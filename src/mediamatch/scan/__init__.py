"""Forensic scanning: walk evidence (folders and archives), hash, stack, match, report.

Front ends call ``run_scan`` with a ``CaseDB`` and then ``write_outputs``.
"""

from mediamatch.scan.casedb import CaseDB
from mediamatch.scan.outputs import OUTPUT_NAMES, write_outputs
from mediamatch.scan.runner import ProgressSink, ScanInterrupted, ScanSettings, check_inputs, run_scan

__all__ = [
    "OUTPUT_NAMES",
    "CaseDB",
    "ProgressSink",
    "ScanInterrupted",
    "ScanSettings",
    "check_inputs",
    "run_scan",
    "write_outputs",
]
