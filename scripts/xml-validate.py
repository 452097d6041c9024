#!/usr/bin/env python3
"""Validates XML documents against an XSD (lxml) and, optionally, compiled
Schematron XSLT 2 stylesheets (saxonche), as the kumppani-einvoice tests do.

    xml-validate.py --xsd SCHEMA.xsd [--xslt RULES.xslt ...] FILE.xml [FILE.xml ...]

A Schematron failed-assert is a failure when its flag is "fatal" or "error", or
(when it has no flag) when its role is "fatal" or "error"; warnings are printed
but do not fail. Exits 0 when every file is valid, 1 when any is not (with one
readable line per problem), 2 on usage or setup errors. Run it with the python
that scripts/xml-venv.sh prints.
"""

import argparse
import sys

SVRL = "{http://purl.oclc.org/dsdl/svrl}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--xsd", required=True, help="XML Schema to validate against")
    parser.add_argument("--xslt", action="append", default=[], help="compiled Schematron (XSLT 2, SVRL output); repeatable")
    parser.add_argument("files", nargs="+", help="XML documents")
    args = parser.parse_args()

    try:
        from lxml import etree
    except ImportError:
        print("xml-validate: lxml is not installed (use the python printed by scripts/xml-venv.sh)", file=sys.stderr)
        return 2
    try:
        schema = etree.XMLSchema(etree.parse(args.xsd))
    except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as e:
        print(f"xml-validate: cannot load schema {args.xsd}: {e}", file=sys.stderr)
        return 2

    failures = 0
    documents = {}
    for path in args.files:
        try:
            doc = etree.parse(path)
        except (OSError, etree.XMLSyntaxError) as e:
            print(f"{path}: not well-formed XML: {e}")
            failures += 1
            continue
        documents[path] = doc
        if schema.validate(doc):
            print(f"{path}: XSD valid ({args.xsd})")
        else:
            failures += 1
            for err in schema.error_log:
                print(f"{path}:{err.line}: XSD: {err.message}")

    if args.xslt and documents:
        try:
            from saxonche import PySaxonProcessor
        except ImportError:
            print("xml-validate: saxonche is not installed (use the python printed by scripts/xml-venv.sh)", file=sys.stderr)
            return 2
        with PySaxonProcessor(license=False) as proc:
            for xslt in args.xslt:
                compiler = proc.new_xslt30_processor()
                try:
                    executable = compiler.compile_stylesheet(stylesheet_file=xslt)
                except Exception as e:  # saxonche raises PySaxonApiError
                    print(f"xml-validate: cannot compile {xslt}: {e}", file=sys.stderr)
                    return 2
                for path in documents:
                    try:
                        svrl = executable.transform_to_string(source_file=path)
                    except Exception as e:
                        print(f"{path}: Schematron {xslt} did not run: {e}")
                        failures += 1
                        continue
                    failures += report(path, xslt, etree.fromstring(svrl.encode("utf-8")))

    if failures:
        print(f"xml-validate: INVALID: {failures} failed check(s) over {len(args.files)} document(s)")
        return 1
    print(f"xml-validate: all {len(args.files)} document(s) valid")
    return 0


def report(path: str, xslt: str, svrl) -> int:
    """Prints the failed asserts of one SVRL report; returns 1 when any is fatal or an error."""
    fatal = 0
    for fa in svrl.iter(SVRL + "failed-assert", SVRL + "successful-report"):
        flag = (fa.get("flag") or "").lower()
        role = (fa.get("role") or "").lower()
        severity = flag or role or "error"
        if fa.tag == SVRL + "successful-report" and not (flag or role):
            severity = "info"
        text = " ".join("".join(t.itertext()) for t in fa.iter(SVRL + "text")).strip()
        line = f"{path}: {severity}: [{fa.get('id') or '?'}] {text} at {fa.get('location')}"
        if severity in ("fatal", "error"):
            fatal += 1
            print(line)
        elif severity == "warning":
            print(line)
    if fatal == 0:
        print(f"{path}: Schematron passed ({xslt})")
    return 1 if fatal else 0


if __name__ == "__main__":
    sys.exit(main())
