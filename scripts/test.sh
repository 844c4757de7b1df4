#!/usr/bin/env bash
# Runs every test: installs the tools the tests call (cfn-lint, checkov, moto, schemathesis,
# LiteLLM), packages the Lambda functions, starts moto's server on 127.0.0.1 for the
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

# The Lambda functions' packages (release code for another glibc, so none of their build is
# shared with the tests') build beside the tests: each build leaves a processor idle while one
# large crate compiles, and the other fills it. Their tests read the packages through
# LISA_REGISTRAR_ZIP and LISA_LIFECYCLE_ZIP and fail when they are missing.
package_log=target/package.log
./scripts/package-functions target/package >"$package_log" 2>&1 &
package_pid=$!
trap 'kill "$tools_pid" "$package_pid" 2>/dev/null || true' EXIT
export LISA_REGISTRAR_ZIP="$PWD/target/package/lisa-registrar.zip"
export LISA_LIFECYCLE_ZIP="$PWD/target/package/lisa-lifecycle.zip"

cargo test --workspace --locked --all-targets --no-run
phase "building the tests"

if ! wait "$package_pid"; then
  cat "$package_log" >&2
  echo "test: packaging the Lambda functions failed" >&2
  exit 1
fi
grep -v '^ *Compiling ' "$package_log" >&2 || true
phase "finishing the Lambda functions' packages"

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

# cargo-nextest (on every machine of this kind) runs each test in a process of its own, two at
# a time across all test binaries, so one slow binary no longer holds the others back; plain
# `cargo test` runs them where it is missing. Benches run once each as smoke tests (nextest
# cannot list them), then the documentation's examples.
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --lib --bins --tests --examples --no-fail-fast
  cargo test --workspace --locked --benches
else
  cargo test --workspace --locked --all-targets
fi
cargo test --workspace --locked --doc
phase "running the tests"
echo "test: all done in $((SECONDS - run_started)) s" >&2
