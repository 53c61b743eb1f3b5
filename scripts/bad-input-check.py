#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Check docs/bad-input.md against the tests it names.

Every row of its table must name at least one test; each `FILE:TEST` must
exist (a C test registered with cmocka, or a Python function), and each
`FILE:TEST["text"]` must also find that row of a C table ({ "text", ...)
or that check text in the Python file.  Every row of the decoder's own
table (host/tests/test_decoder.c) must be named by the document, so the
document stays the one list.  Exit status 1 on any miss.
"""
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = os.path.join(TOP, "docs", "bad-input.md")
DIRS = [os.path.join(TOP, "host", "tests"), os.path.join(TOP, "host", "pvvfd", "tests")]
REF = re.compile(r'`([\w.]+):(\w+)(?:\["((?:[^"\\]|\\.)*)"\])?`')


def find(name):
    hits = [os.path.join(d, name) for d in DIRS if os.path.isfile(os.path.join(d, name))]
    return hits[0] if len(hits) == 1 else None


def has_test(path, src, func):
    if path.endswith(".py"):
        return re.search(r"^def %s\(" % re.escape(func), src, re.M) is not None
    defined = re.search(r"^static void %s\(void \*\*\w+\)" % re.escape(func), src, re.M)
    registered = re.search(r"(cmocka_unit_test\w*|\bT)\(\s*%s\b" % re.escape(func), src)
    return defined is not None and registered is not None


def has_row(path, src, text):
    if path.endswith(".py"):
        return text in src
    return ('{ "%s",' % text) in src


def main():
    errors, rows, refs = [], 0, 0
    named = set()
    with open(DOC) as f:
        table = [line for line in f if re.match(r"^\| *\d+ *\|", line)]
    for line in table:
        rows += 1
        num = line.split("|")[1].strip()
        found = REF.findall(line.rstrip().rsplit("|", 2)[-2])
        if not found:
            errors.append("row %s names no test" % num)
        for fname, func, text in found:
            refs += 1
            path = find(fname)
            if not path:
                errors.append("row %s: no file %s in host/tests or host/pvvfd/tests" % (num, fname))
                continue
            with open(path) as f:
                src = f.read()
            if not has_test(path, src, func):
                errors.append("row %s: %s has no test %s" % (num, fname, func))
            if text and not has_row(path, src, text):
                errors.append('row %s: %s has no row or check "%s"' % (num, fname, text))
            if fname == "test_decoder.c" and func == "test_decoder_table" and text:
                named.add(text)
    with open(os.path.join(TOP, "host", "tests", "test_decoder.c")) as f:
        dec = f.read()
    table_src = dec[dec.index("dcases[] = {"):dec.index("};", dec.index("dcases[] = {"))]
    for text in re.findall(r'^\t\{ "([^"]+)",', table_src, re.M):
        if text not in named:
            errors.append('decoder row "%s" is not in docs/bad-input.md' % text)
    for e in errors:
        print("bad-input-check: " + e)
    if errors:
        return 1
    print("bad-input-check: %d rows, %d test references, every decoder row listed" % (rows, refs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
