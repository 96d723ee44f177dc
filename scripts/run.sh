#!/usr/bin/env bash
# The main job, from a fresh clone: installs Deno if it is missing (into .tools/, from
# npm) and runs the ingest core's validator on a payload — by default the contract's
# example batch, prepared for a demo project.
#
#   scripts/run.sh                      validate tests/fixtures/example-a.json
#   scripts/run.sh my-batch.json ...    validate your own payloads
#
# No Rust is needed: the compiled core is committed in pkg/.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
ensure_deno
if [[ $# -eq 0 ]]; then
  set -- --project 7b897f13-dad3-41d8-945b-94358423ab85 tests/fixtures/example-a.json tests/fixtures/example-b.json
fi
exec deno run --allow-read scripts/validate.ts "$@"
