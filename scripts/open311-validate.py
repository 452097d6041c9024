#!/usr/bin/env python3
"""Validates an Open311 GeoReport v2 JSON response against the official schema.

    open311-validate.py <schema file name, e.g. georeport-v2-requests.json> <response.json>

The schemas are in tests/standards/open311; their references by bare file name
("service.json", "request.json") resolve to the files there. Prints "ok" or the
errors and exits 1. Runs in the virtualenv scripts/test-venv.sh makes.
"""
import json
import pathlib
import sys

from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

HERE = pathlib.Path(__file__).resolve().parent.parent / "tests" / "standards" / "open311"


def load(name):
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def main():
    schema_name, response = sys.argv[1], sys.argv[2]
    registry = Registry().with_resources(
        [
            ("service.json", Resource.from_contents(load("georeport-v2-service.json"), default_specification=DRAFT7)),
            ("request.json", Resource.from_contents(load("georeport-v2-request.json"), default_specification=DRAFT7)),
        ]
    )
    validator = Draft7Validator(load(schema_name), registry=registry, format_checker=Draft7Validator.FORMAT_CHECKER)
    document = json.loads(pathlib.Path(response).read_text(encoding="utf-8"))
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    if errors:
        for e in errors:
            print(f"{'/'.join(str(p) for p in e.path)}: {e.message}")
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
