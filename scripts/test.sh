#!/usr/bin/env bash
# Runs every test: installs the tools the tests call (cfn-lint, checkov, moto, schemathesis,
# LiteLLM), packages the registration function, starts moto's server on 127.0.0.1 for the
# deploy tests (stopped again on exit), then runs the whole workspace's tests with snapshots
# frozen (a missing or changed snapshot fails). Each phase's time goes to standard error.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target

export CI=${CI:-true}
export INSTA_UPDATE=no
# A build from an empty target directory gains nothing from incremental compilation, which
# only adds work and disk; a developer's own `cargo test` keeps it.
export CARGO_INCREMENTAL=0

run_started=$SECONDS
phase_started=$SECONDS
# phase NAME: how long the phase that just ended took.
phase() {
  echo "test: $1 took $((SECONDS - phase_started)) s" >&2
  phase_started=$SECONDS
}

# The Python tools the tests run are installed while cargo builds: pip waits on the disk and
# the network more than on the processor.
tools_log=target/setup-tools.log
./scripts/setup-tools.sh checks >"$tools_log" 2>&1 &
tools_pid=$!
trap 'kill "$tools_pid" 2>/dev/null || true' EXIT

# The registration function's Lambda package, built once per run (zig as the linker); its
# tests read it through LISA_REGISTRAR_ZIP and fail when it is missing.
./scripts/package-registrar target/package
export LISA_REGISTRAR_ZIP="$PWD/target/package/lisa-registrar.zip"
phase "packaging the registration function"

cargo test --workspace --locked --all-targets --no-run
phase "building the tests"

if ! wait "$tools_pid"; then
  cat "$tools_log" >&2
  echo "test: installing the Python tools failed" >&2
  exit 1
fi
cat "$tools_log" >&2
phase "waiting for the Python tools"
export LISA_CFN_LINT="$PWD/.venv-cfn/bin/cfn-lint"
export LISA_CHECKOV="$PWD/.venv-checkov/bin/checkov"
export LISA_SCHEMATHESIS="$PWD/.venv-schemathesis/bin/schemathesis"
export LISA_LITELLM="$PWD/.venv-litellm/bin/litellm"

# shellcheck source=scripts/start-moto.sh
source ./scripts/start-moto.sh
trap stop_moto EXIT

cargo test --workspace --locked --all-targets
cargo test --workspace --locked --doc
phase "running the tests"
echo "test: all done in $((SECONDS - run_started)) s" >&2
