#!/usr/bin/env bash
# Installs PostgreSQL (Debian's package) when it is missing: the tests of
# llmcost-ledger-postgres start a throwaway cluster with its initdb/pg_ctl and
# fail, never skip, without them. Debian's default cluster is left stopped.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
    echo "postgresql present: $(ls -d /usr/lib/postgresql/*/bin/initdb)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends postgresql
# The package may start its default cluster; the tests use their own.
if command -v pg_lsclusters > /dev/null; then
    pg_lsclusters --no-header 2>/dev/null | while read -r ver name _; do
        $SUDO pg_ctlcluster "$ver" "$name" stop 2>/dev/null || true
    done
fi
compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null || {
    echo "postgresql installed but no /usr/lib/postgresql/*/bin/initdb" >&2
    exit 1
}
