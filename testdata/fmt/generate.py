#!/usr/bin/env python3
"""Writes testdata/fmt/expected/NAME.hcl: what `terraform fmt` makes of
testdata/fmt/cases/NAME.hcl. Run from the repository root:

    python3 testdata/fmt/generate.py

TERRAFORM overrides the Terraform binary (default ../shared/tools/terraform).
The tests compare `terrace fmt` with these files; they never run Terraform.
"""
import os
import pathlib
import shutil
import subprocess
import tempfile

root = pathlib.Path(__file__).resolve().parent
terraform = os.environ.get("TERRAFORM", str(root.parents[2] / "shared" / "tools" / "terraform"))
cases = sorted((root / "cases").glob("*.hcl"))
expected = root / "expected"
expected.mkdir(exist_ok=True)
for case in cases:
    with tempfile.TemporaryDirectory() as tmp:
        tf = pathlib.Path(tmp) / (case.stem + ".tf")
        shutil.copyfile(case, tf)
        subprocess.run([terraform, "fmt", str(tf)], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        shutil.copyfile(tf, expected / case.name)
    print(f"{case.name}: done")
