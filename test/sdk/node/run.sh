#!/usr/bin/env bash
# Runs the npm SDK end-to-end tests (openai, @anthropic-ai/sdk, @google/genai; one file each)
# against a real `sluice serve --demo`. Set SLUICE_BIN to test a prebuilt binary; otherwise this
# builds ./cmd/sluice once for every test file.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
npm ci --no-audit --no-fund
if [ -z "${SLUICE_BIN:-}" ]; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd ../../.. && go build -o "$work/sluice" ./cmd/sluice)
  export SLUICE_BIN="$work/sluice"
fi
node --test
