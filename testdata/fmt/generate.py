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

# What `terraform fmt` says of each fmt fuzz regression: "formats" or
# "refuses: SUMMARY", one line each (testdata/fmt/regressions.txt), so the
# unit test can check that terrace refuses exactly what Terraform refuses.
regressions = sorted((root.parents[1] / "fuzz" / "regressions" / "fmt").iterdir())
lines = []
for reg in regressions:
    with tempfile.TemporaryDirectory() as tmp:
        tf = pathlib.Path(tmp) / "main.tf"
        shutil.copyfile(reg, tf)
        run = subprocess.run([terraform, "fmt", "-no-color", str(tf)], cwd=tmp,
                             capture_output=True, text=True, errors="replace")
        if run.returncode == 0:
            lines.append(f"{reg.name} formats")
        else:
            summary = next((l[len("Error: "):].strip() for l in run.stderr.splitlines()
                            if l.startswith("Error: ")), "?")
            lines.append(f"{reg.name} refuses: {summary}")
(root / "regressions.txt").write_text("\n".join(lines) + "\n")
print(f"regressions.txt: {len(lines)} verdicts")
