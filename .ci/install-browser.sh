#!/usr/bin/env bash
# Installs Debian's chromium and chromium-driver when chromedriver is
# absent, for the web console's browser tests (tests/it/console.rs drives
# /usr/bin/chromium through chromedriver). Needs root, or sudo.
set -euo pipefail
if command -v chromedriver >/dev/null 2>&1 && [ -x /usr/bin/chromium ]; then
  echo "browser: $(chromedriver --version | head -n 1)"
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "chromium and chromium-driver are missing, and installing them needs root or sudo" >&2
  exit 1
fi
"${as_root[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq chromium chromium-driver
echo "browser: $(chromedriver --version | head -n 1)"
