#!/usr/bin/env bash
# Scores the bundled sample visitors with the built-in default model and
# prints each grade with the points behind it (no browser, no worker).
# Usage: scripts/score-demo.sh [visitors.json [model.json]]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
cargo run --quiet --release --example score_visitors -- "$@"
