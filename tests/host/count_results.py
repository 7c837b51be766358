#!/usr/bin/env python3
"""Count the host test results in GoogleTest's JUnit XML: prints 'host: N passed, N failed, N skipped'.
A missing or unreadable file (the binary crashed before writing it) counts as one failure, never as a pass.
Exit status: 0 if nothing failed."""
import sys
import xml.etree.ElementTree as ET

def main(path):
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"host: 0 passed, 1 failed, 0 skipped ({path}: {e})")
        return 1
    passed = failed = skipped = 0
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.get("result") == "skipped" or case.find("skipped") is not None or case.get("status") == "notrun":
            skipped += 1
        else:
            passed += 1
    print(f"host: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/host/results.xml"))
