/**
 * Applies supabase/migrations/*.sql that are not applied yet, in order, each in one
 * transaction, recording them in `supabase_migrations.schema_migrations` as the Supabase
 * CLI does — on PGlite or on PostgreSQL. First creates what a Supabase project has
 * (roles anon, authenticated, service_role; schema extensions), when missing.
 *
 * @module
 */
import type { PGlite } from "npm:@electric-sql/pglite@0.5.16";
import type postgres from "npm:postgres@3.4.9";

/** What the runner needs from a database. */
export interface MigrationDb {
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  /** Runs a multi-statement script, then one parameterised statement, in one transaction. */
  script(sql: string, after: string, afterParams: unknown[]): Promise<void>;
}

/** What a Supabase project has before its migrations (idempotent). */
export const SUPABASE_BASICS = `
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'anon') THEN CREATE ROLE anon NOLOGIN NOINHERIT; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'authenticated') THEN CREATE ROLE authenticated NOLOGIN NOINHERIT; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
  END IF;
END $$;
CREATE SCHEMA IF NOT EXISTS extensions;
GRANT USAGE ON SCHEMA extensions TO anon, authenticated, service_role;
CREATE SCHEMA IF NOT EXISTS supabase_migrations;
CREATE TABLE IF NOT EXISTS supabase_migrations.schema_migrations (version text PRIMARY KEY, name text);
`;

/** The migration files, in order. */
export function migrationFiles(): { name: string; url: URL }[] {
  const dir = new URL("../../supabase/migrations/", import.meta.url);
  return [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".sql")).sort()
    .map((name) => ({ name, url: new URL(name, dir) }));
}

/** Applies the pending migrations; returns the files applied. */
export async function migrate(db: MigrationDb): Promise<string[]> {
  await db.script(SUPABASE_BASICS, "SELECT 1", []);
  const applied = new Set(
    (await db.query("SELECT version FROM supabase_migrations.schema_migrations")).map((r) => String(r.version)),
  );
  const done: string[] = [];
  for (const file of migrationFiles()) {
    const [version, ...rest] = file.name.replace(/\.sql$/, "").split("_");
    if (applied.has(version)) continue;
    await db.script(
      await Deno.readTextFile(file.url),
      "INSERT INTO supabase_migrations.schema_migrations (version, name) VALUES ($1, $2)",
      [version, rest.join("_")],
    );
    done.push(file.name);
  }
  return done;
}

/** A MigrationDb on PGlite. */
export function pgliteMigrationDb(lite: PGlite): MigrationDb {
  return {
    query: async (q, p = []) => (await lite.query<Record<string, unknown>>(q, p)).rows,
    script: async (s, after, p) => {
      await lite.transaction(async (tx) => {
        await tx.exec(s);
        await tx.query(after, p);
      });
    },
  };
}

/** A MigrationDb on postgres.js. */
export function postgresMigrationDb(sql: postgres.Sql): MigrationDb {
  return {
    query: async (q, p = []) => [...await sql.unsafe(q, p as never[])],
    script: async (s, after, p) => {
      await sql.begin(async (tx) => {
        await tx.unsafe(s);
        await tx.unsafe(after, p as never[]);
      });
    },
  };
}
