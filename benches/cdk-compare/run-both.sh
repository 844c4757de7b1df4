#!/usr/bin/env bash
# Whole-process synthesis time of COUNT copies of the seed model (examples/models/mistral-vllm.json,
# each with its own modelId): the AWS CDK app (app.js, validation off) and `lisa-synth synth
# --out`, alternated ROUNDS times in one run, so both meet the same machine load.
#
#   benches/cdk-compare/run-both.sh [COUNT] [ROUNDS]     (defaults 100 and 5)
#
# Needs `npm ci` (or `npm install`) in this folder and `cargo build --profile bench -p lisa-synth`
# (the fastest code; it lands in target/release).
# Both write into a folder under TMPDIR: on a shared machine, TMPDIR=/dev/shm keeps other
# processes' disk traffic out of the figures (writing 100 templates to a busy disk can take
# longer than synthesizing them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
count="${1:-100}"
rounds="${2:-5}"
# LISA_SYNTH_BIN times another build of the command (an older one, for a before/after figure).
synth="${LISA_SYNTH_BIN:-$root/target/release/lisa-synth}"
[ -x "$synth" ] || { echo "build it first: cargo build --profile bench -p lisa-synth" >&2; exit 2; }
[ -d "$here/node_modules/aws-cdk-lib" ] || { echo "install first: (cd $here && npm ci)" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir "$work/definitions"
node -e '
  const fs = require("fs");
  const [seed, dir, count] = process.argv.slice(1);
  const definition = JSON.parse(fs.readFileSync(seed, "utf8"));
  for (let i = 0; i < Number(count); i++) {
    const id = `mistral-vllm-${String(i).padStart(4, "0")}`;
    fs.writeFileSync(`${dir}/${id}.json`, JSON.stringify({ ...definition, modelId: id }));
  }' "$root/examples/models/mistral-vllm.json" "$work/definitions" "$count"

# Bash's own clock, read into a variable: forking `date` (or a command substitution) inside the
# timed span would add a process start to every figure. `us` turns a reading into microseconds.
us() { local t=${1/[.,]/}; echo "$((10#$t))"; }
ms() { echo "scale=1; $1 / 1000" | bc; }
cdk_total=0; lisa_total=0
printf '%-6s %12s %12s\n' round 'cdk (ms)' 'lisa (ms)'
for round in $(seq "$rounds"); do
  rm -rf "$work/cdk.out" "$work/lisa.out"
  t0=$EPOCHREALTIME; node "$here/app.js" "$work/definitions" "$work/cdk.out" 2>/dev/null; t1=$EPOCHREALTIME
  cdk=$(( $(us "$t1") - $(us "$t0") ))
  t0=$EPOCHREALTIME; "$synth" synth "$work/definitions" --out "$work/lisa.out" -q; t1=$EPOCHREALTIME
  lisa=$(( $(us "$t1") - $(us "$t0") ))
  [ "$(ls "$work/cdk.out"/*.template.json | wc -l)" -eq "$count" ] || { echo "CDK wrote the wrong number of templates" >&2; exit 1; }
  [ "$(ls "$work/lisa.out" | wc -l)" -eq "$count" ] || { echo "lisa-synth wrote the wrong number of templates" >&2; exit 1; }
  printf '%-6s %12s %12s\n' "$round" "$(ms $cdk)" "$(ms $lisa)"
  cdk_total=$(( cdk_total + cdk )); lisa_total=$(( lisa_total + lisa ))
done
echo "mean over $rounds rounds, $count models: cdk $(ms $(( cdk_total / rounds ))) ms, lisa-synth $(ms $(( lisa_total / rounds ))) ms, ratio $(echo "scale=0; $cdk_total / $lisa_total" | bc)x"
