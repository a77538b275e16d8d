#!/usr/bin/env bash
# Installs Debian's chromium when it is missing: the dashboard's browser tests
# (cargo test -p llmcost-cli --features browser-tests --test browser) drive it
# headless over the DevTools protocol, and fail, never skip, without it.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    echo "chromium present: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
# fonts-dejavu-core: readable screenshots without fetching any font.
$SUDO apt-get install -y --no-install-recommends chromium fonts-dejavu-core
[ -x /usr/bin/chromium ] || {
    echo "chromium installed but no /usr/bin/chromium" >&2
    exit 1
}
echo "chromium: $(/usr/bin/chromium --version)"
