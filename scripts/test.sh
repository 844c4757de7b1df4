#!/usr/bin/env bash
# Runs every test: installs the linters the template tests call (cfn-lint, checkov), then the
# whole workspace's tests with snapshots frozen (a missing or changed snapshot fails).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup-tools.sh
export LISA_CFN_LINT="$PWD/.venv-cfn/bin/cfn-lint"
export LISA_CHECKOV="$PWD/.venv-checkov/bin/checkov"
export INSTA_UPDATE=no
export CI=${CI:-true}

cargo test --workspace --locked --all-targets
cargo test --workspace --locked --doc
