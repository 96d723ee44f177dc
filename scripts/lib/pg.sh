# A throwaway PostgreSQL cluster for tests and benchmarks. Sourced, not run.
#
#   ensure_postgres          install the server, pgTAP and pg_prove when missing (apt, as root)
#   pg_start                 start a fresh cluster on a free port; sets PGHOST PGPORT PGUSER
#                            PGDATABASE and stops and deletes it when the shell exits
#   pg_bootstrap             create what a Supabase project has: roles anon, authenticated,
#                            service_role; schema extensions (pgTAP goes there too)
#   pg_migrate               apply supabase/migrations/*.sql in order, each in one transaction
#
# The cluster lives in a temporary directory owned by the postgres user (the server
# refuses to run as root), listens on 127.0.0.1 only, and trusts local connections.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

ensure_postgres() {
  if [[ -x "$PG_BIN/postgres" ]] && command -v pg_prove >/dev/null &&
    [[ -f /usr/share/postgresql/15/extension/pgtap.control ]] &&
    [[ -f /usr/share/postgresql/15/extension/pgcrypto.control ]]; then
    return
  fi
  [[ $(id -u) -eq 0 ]] || { echo "PostgreSQL 15, pgTAP and pg_prove are missing; install them as root" >&2; return 1; }
  echo "==> installing PostgreSQL 15, pgTAP and pg_prove (apt)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 &&
    apt-get install -y -qq --no-install-recommends postgresql-15 postgresql-contrib postgresql-15-pgtap \
      libtap-parser-sourcehandler-pgtap-perl >&2
}

pg_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_stop() {
  if [[ -n "${PG_DIR:-}" && -d "$PG_DIR" ]]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
  fi
  PG_DIR=
}

pg_start() {
  PG_DIR=$(mktemp -d /tmp/northstar-pg.XXXXXX)
  chown postgres "$PG_DIR"
  chmod 700 "$PG_DIR"
  trap pg_stop EXIT
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  local port
  port=$(pg_free_port)
  runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-h 127.0.0.1 -p $port -k $PG_DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$PG_DIR/server.log" >&2; return 1; }
  export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
}

pg_psql() {
  psql -X -q -v ON_ERROR_STOP=1 "$@"
}

pg_bootstrap() {
  pg_psql <<'SQL'
-- What every Supabase project has before its migrations run.
CREATE ROLE anon NOLOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN NOINHERIT;
CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
GRANT anon, authenticated, service_role TO postgres;
CREATE SCHEMA extensions;
GRANT USAGE ON SCHEMA extensions TO anon, authenticated, service_role;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
-- Supabase's default privileges on public tables (the dashboard relies on them).
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
CREATE EXTENSION pgcrypto SCHEMA extensions;
CREATE EXTENSION pgtap SCHEMA extensions;
SQL
}

pg_migrate() {
  local f
  for f in "$PG_ROOT"/supabase/migrations/*.sql; do
    pg_psql --single-transaction -f "$f" || { echo "migration failed: $(basename "$f")" >&2; return 1; }
  done
}
