#!/usr/bin/env bash
# Fuzzes each target (package:Target) for FUZZTIME. A failure the fuzzer
# found leaves its input in <package>/testdata/fuzz/<Target>/ and fails at
# once. A run that fails without leaving an input is the fuzzer's own
# trouble (a worker it lost under load, say): its output is shown and the
# target fuzzed once more; a second such failure fails as well.
set -uo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-3s}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$@"; do
  pkg=${t%%:*} fn=${t##*:}
  dir="$pkg/testdata/fuzz/$fn"
  for attempt in 1 2; do
    before=$(ls "$dir" 2>/dev/null | wc -l)
    if "$GO" test -run '^$' -fuzz "^$fn\$" -fuzztime "$FUZZTIME" "$pkg" >"$log" 2>&1; then
      break
    fi
    tail -n 40 "$log" >&2
    if [ "$(ls "$dir" 2>/dev/null | wc -l)" != "$before" ]; then
      echo "fuzz $fn failed: the failing input is in $dir" >&2
      exit 1
    fi
    if [ "$attempt" = 2 ]; then
      echo "fuzz $fn failed twice without a failing input (output above)" >&2
      exit 1
    fi
    echo "fuzz $fn: the fuzzer failed without a failing input (output above); once more" >&2
  done
done
echo "fuzz: $# targets, $FUZZTIME each, no failure"
