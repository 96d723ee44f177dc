#!/usr/bin/env bash
# deno task bench:e2e [--quick] [--base REV | --no-base] [--no-pglite] [--fixed-cost-only]
#
# The real HTTP endpoint, this tree against an older commit (default 90ab9d9, main before
# issue 10) in one run: a throwaway PostgreSQL 15 cluster (scripts/lib/pg.sh) with one
# database per tree, a `git worktree add` of the older commit in a temporary directory, and
# each tree's own scripts/serve.ts on its own database (and on its own PGlite). Then
# bench/fixed_cost.ts (the store's round trips, first call on a new connection) and
# bench/e2e_bench.ts (records/s, p50, p99, where the time goes). Everything it starts is
# stopped and deleted on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/tools.sh
source scripts/lib/pg.sh
ensure_deno
ensure_postgres

base_rev=90ab9d9
bench_args=()
fixed_only=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --base) base_rev=$2; shift 2 ;;
    --no-base) base_rev=""; shift ;;
    --fixed-cost-only) fixed_only=1; shift ;;
    --quick | --no-pglite) bench_args+=("$1"); shift ;;
    *) echo "usage: deno task bench:e2e [--quick] [--base REV | --no-base] [--no-pglite] [--fixed-cost-only]" >&2; exit 2 ;;
  esac
done

base_dir=""
cleanup() {
  if [[ -n "$base_dir" ]]; then
    git worktree remove --force "$base_dir/tree" >/dev/null 2>&1 || true
    rm -rf "$base_dir"
  fi
  pg_stop
}

pg_start
trap cleanup EXIT
# What a Supabase project has, in template1, so every database created below has it; each
# server then applies its own tree's migrations, as on a user's first start.
PGDATABASE=template1 pg_bootstrap
pg_psql -c "CREATE DATABASE ns_new" -c "CREATE DATABASE ns_base"
db_url="postgres://postgres@127.0.0.1:$PGPORT"

args=(--new-db "$db_url/ns_new")
if [[ -n "$base_rev" ]]; then
  base_dir=$(mktemp -d /tmp/northstar-bench-base.XXXXXX)
  git worktree add --detach "$base_dir/tree" "$base_rev" >/dev/null 2>&1
  echo "base: $(git -C "$base_dir/tree" log -1 --format='%h %s' | cut -c1-100)"
  args+=(--base-db "$db_url/ns_base" --base-tree "$base_dir/tree")
fi
echo "new:  $(git log -1 --format='%h %s' | cut -c1-100)$(git diff --quiet HEAD || echo ' (+ uncommitted changes)')"

deno run -A bench/fixed_cost.ts "${args[@]}"
if [[ $fixed_only -eq 0 ]]; then
  deno run -A bench/e2e_bench.ts "${args[@]}" "${bench_args[@]}"
fi
