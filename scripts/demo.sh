#!/usr/bin/env bash
# The main job on the built-in defaults: the demo site (www/) behind the edge
# worker on localhost. The worker segments each visitor (named-account IP
# ranges, request attributes, stored score), rewrites the page's slots before
# the first byte, scores events and form posts, and forwards what it scored
# to a local collector (target/collector.jsonl). Prints the URLs; Ctrl-C stops.
# Options go to worker/dev.mjs (--port, --collector-port).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
scripts/setup.sh
scripts/build-pkg.sh
node worker/build.mjs
exec node worker/dev.mjs "$@"
