#!/usr/bin/env bash
# Runs every test: installs the tools the tests call (cfn-lint, checkov, moto, schemathesis), starts moto's
# server on 127.0.0.1 for the deploy tests (stopped again on exit), then runs the whole
# workspace's tests with snapshots frozen (a missing or changed snapshot fails).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup-tools.sh
export LISA_CFN_LINT="$PWD/.venv-cfn/bin/cfn-lint"
export LISA_CHECKOV="$PWD/.venv-checkov/bin/checkov"
export LISA_SCHEMATHESIS="$PWD/.venv-schemathesis/bin/schemathesis"
export INSTA_UPDATE=no
export CI=${CI:-true}

# The registration function's Lambda package, built once per run (a release build with zig as
# the linker); its tests read it through LISA_REGISTRAR_ZIP and fail when it is missing.
package_started=$SECONDS
./scripts/package-registrar target/package
echo "test: packaged the registration function in $((SECONDS - package_started)) s" >&2
export LISA_REGISTRAR_ZIP="$PWD/target/package/lisa-registrar.zip"
export LISA_LITELLM="$PWD/.venv-litellm/bin/litellm"

# shellcheck source=scripts/start-moto.sh
source ./scripts/start-moto.sh
trap stop_moto EXIT

cargo test --workspace --locked --all-targets
cargo test --workspace --locked --doc
