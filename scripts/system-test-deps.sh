#!/usr/bin/env bash
# What `pnpm test` needs beyond npm, from Debian's packages (the only other registry reachable):
# pytest, cryptography, PyJWT and httpx for the Python client's tests, and Chromium for the
# console's browser tests (driven by playwright-core; never `playwright install`). Installs only
# what is missing; where apt-get cannot run, says what to install and fails (a missing toolchain
# fails the run, it is never skipped).
set -euo pipefail

packages=()
/usr/bin/python3 -c 'import pytest, cryptography, jwt, httpx' >/dev/null 2>&1 || packages+=(python3-pytest python3-cryptography python3-jwt python3-httpx)
[ -x "${LANYARD_CHROMIUM:-/usr/bin/chromium}" ] || packages+=(chromium)
[ ${#packages[@]} -eq 0 ] && exit 0

echo "installing test dependencies from Debian: ${packages[*]}"
sudo_if_needed=""; [ "$(id -u)" -eq 0 ] || sudo_if_needed="sudo"
if ! command -v apt-get >/dev/null 2>&1 || ! { $sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get update -qq && $sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}"; }; then
  echo "could not install them: apt-get install ${packages[*]} (or set LANYARD_PYTHON / LANYARD_CHROMIUM)" >&2
  exit 1
fi
