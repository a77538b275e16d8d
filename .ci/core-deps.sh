#!/usr/bin/env bash
# The pure crates may depend only on an allowlist: no I/O, async, HTTP, SQL or CLI crates.
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
check() {
  local crate=$1; shift
  local allowed=" $* "
  while read -r dep; do
    [ -z "$dep" ] && continue
    if [[ "$allowed" != *" $dep "* ]]; then
      echo "$crate depends on '$dep', which is not on its allowlist (.ci/core-deps.sh)"; fail=1
    fi
  done < <(cargo tree -p "$crate" -e normal --depth 1 --prefix none --locked 2>/dev/null | tail -n +2 | awk '{print $1}' | sort -u)
}
check llmcost-core jiff rust_decimal serde thiserror
check llmcost-catalog jiff llmcost-core rust_decimal rustc-hash serde strsim thiserror toml
check llmcost-usage jiff llmcost-core serde serde_json thiserror memchr
exit $fail
