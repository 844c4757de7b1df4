#!/usr/bin/env bash
# Installs the Python tools the tests run, each in its own virtual environment under the
# workspace (checkov pins an older boto3 than cfn-lint, so they cannot share one; moto's server,
# the deploy tests' AWS, shares cfn-lint's).
# Idempotent: an environment whose pinned version is already installed is left alone.
#
# Usage: scripts/setup-tools.sh [all|zig|checks]
#   zig     only the linker that packages the registration function
#   checks  only the tools the tests run (cfn-lint, moto, checkov, schemathesis, LiteLLM)
#   all     both (the default)
set -euo pipefail
cd "$(dirname "$0")/.."

CFN_LINT_VERSION=1.58.0
CHECKOV_VERSION=3.3.30
MOTO_VERSION=5.2.5
SCHEMATHESIS_VERSION=4.32.5
PYTHON=${PYTHON:-python3}

# ensure_venv DIR PACKAGE VERSION [EXTRAS]
ensure_venv() {
  local dir=$1 package=$2 version=$3 extras=${4:-}
  local installed=""
  if [ -x "$dir/bin/python" ]; then
    installed=$("$dir/bin/python" -m pip show "$package" 2>/dev/null || true)
  fi
  if grep -qx "Version: $version" <<<"$installed"; then
    return
  fi
  echo "setup-tools: installing $package $version into $dir" >&2
  [ -x "$dir/bin/python" ] || "$PYTHON" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$package$extras==$version"
}

# Packaging the registration function for Lambda's provided.al2023 (glibc 2.34) with the host's
# standard library: zig is the linker that targets the older glibc, cargo-zigbuild drives it.
ZIGLANG_VERSION=0.14.1
CARGO_ZIGBUILD_VERSION=0.24.0
# A real LiteLLM proxy (config-file mode, no database) for the registration client's read side.
LITELLM_VERSION=1.108.7

zig_tools() {
  ensure_venv .venv-zig ziglang "$ZIGLANG_VERSION"
  ensure_venv .venv-zig cargo-zigbuild "$CARGO_ZIGBUILD_VERSION"
}

check_tools() {
  ensure_venv .venv-cfn cfn-lint "$CFN_LINT_VERSION"
  ensure_venv .venv-cfn moto "$MOTO_VERSION" "[server]"
  ensure_venv .venv-checkov checkov "$CHECKOV_VERSION"
  ensure_venv .venv-schemathesis schemathesis "$SCHEMATHESIS_VERSION"
  ensure_venv .venv-litellm litellm "$LITELLM_VERSION" "[proxy]"
}

case "${1:-all}" in
  zig) zig_tools ;;
  checks) check_tools ;;
  all) zig_tools && check_tools ;;
  *)
    echo "usage: $0 [all|zig|checks]" >&2
    exit 2
    ;;
esac
