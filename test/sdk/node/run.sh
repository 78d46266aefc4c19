#!/usr/bin/env bash
# Runs the openai npm package end-to-end test against a real `sluice serve --demo`.
# Set SLUICE_BIN to test a prebuilt binary; otherwise the test builds ./cmd/sluice itself.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
npm ci --no-audit --no-fund
node --test
