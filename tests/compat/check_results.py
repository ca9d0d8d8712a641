"""Compare a JUnit report of python-cloudant's own test suite with the project's expected failures.

``python tests/compat/check_results.py REPORT.xml tests/compat/expected-failures.txt``

Exits non-zero when a test fails (or errors, or a module cannot be collected) that the expected-failures file
does not list, or when the report holds no test at all. Listed tests that now pass are printed so the list can
shrink. The file holds one test per line, ``module::Class::test  reason``; ``#`` starts a comment.
"""
from __future__ import annotations

import sys
import xml.etree.ElementTree as ElementTree
from typing import Dict, List, Tuple


def read_expected(path: str) -> Dict[str, str]:
    """Map each listed test id to the reason given for it."""
    expected: Dict[str, str] = {}
    with open(path, encoding="utf-8") as listing:
        for line in listing:
            line = line.split("#", 1)[0].strip()
            if line:
                test_id, _, reason = line.partition(" ")
                expected[test_id] = reason.strip()
    return expected


def read_report(path: str) -> Tuple[List[str], List[str], int]:
    """Return the ids of the failed tests, of the passed ones, and the number skipped."""
    failed: List[str] = []
    passed: List[str] = []
    skipped = 0
    for case in ElementTree.parse(path).iter("testcase"):
        module = case.get("classname", "").replace("tests.unit.", "")
        test_id = "%s::%s" % (module.replace(".", "::"), case.get("name"))
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(test_id)
        elif case.find("skipped") is not None:
            skipped += 1
        else:
            passed.append(test_id)
    return failed, passed, skipped


def main(report: str, expected_path: str) -> int:
    expected = read_expected(expected_path)
    failed, passed, skipped = read_report(report)
    unexpected = [test_id for test_id in failed if test_id not in expected]
    now_passing = [test_id for test_id in passed if test_id in expected]
    print("python-cloudant suite: %d passed, %d failed, %d skipped; %d failures expected"
          % (len(passed), len(failed), skipped, len(expected)))
    for test_id in failed:
        if test_id in expected:
            print("  expected failure: %s (%s)" % (test_id, expected[test_id]))
    for test_id in now_passing:
        print("  listed but passing now (remove it from the list): %s" % test_id)
    for test_id in unexpected:
        print("  UNEXPECTED FAILURE: %s" % test_id)
    if not passed:
        print("no test passed: the suite did not run")
        return 1
    return 1 if unexpected else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
