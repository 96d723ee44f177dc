/**
 * The databases the end-to-end suites run on, behind one shape: PostgreSQL 15 (the throwaway
 * cluster of scripts/test-e2e.sh, at `SUPABASE_DB_URL`) or the embedded default, PGlite, with
 * every migration applied. Each gives tagged-template queries, the functions' store on it, and
 * — for PostgreSQL — the commands that stop and restart its server (the 503 path).
 *
 * @module
 */
import { PGlite } from "npm:@electric-sql/pglite@0.5.16";
import postgres from "npm:postgres@3.4.9";
import { migrate, pgliteMigrationDb } from "../../../scripts/lib/migrate.ts";
import { createPgStore } from "../../../supabase/functions/_shared/pg_store.ts";
import { createPgliteStore } from "../../../supabase/functions/_shared/pglite_store.ts";
import type { Store } from "../../../supabase/functions/_shared/store.ts";
import { readVariable } from "../_requires.ts";

/** Tagged-template queries, on either database. */
export type Sql = (strings: TemplateStringsArray, ...values: unknown[]) => Promise<Record<string, any>[]>;

/** A database with every migration, its store, and how to end it. */
export interface TestDatabase {
  sql: Sql;
  store: Store;
  /** Shell commands that stop and restart the database server, when there is one. */
  stop?: string;
  start?: string;
  close(): Promise<void>;
}

/** The PostgreSQL server at `url` (already migrated by scripts/test-e2e.sh). */
export function onPostgres(url: string): Promise<TestDatabase> {
  const pg = postgres(url, { onnotice: () => {}, max: 2 });
  const store = createPgStore(url, { connectTimeoutSeconds: 2 });
  return Promise.resolve({
    sql: async (strings, ...values) => [...await pg(strings, ...values as never[])],
    store,
    stop: readVariable("NS_PG_STOP"),
    start: readVariable("NS_PG_START"),
    close: async () => {
      await store.close();
      await pg.end();
    },
  });
}

/** A new in-memory PGlite database with every migration applied. */
export async function onPglite(): Promise<TestDatabase> {
  const lite = await PGlite.create();
  await migrate(pgliteMigrationDb(lite));
  return {
    sql: async (strings, ...values) => {
      const text = strings.reduce((q, part, i) => q + `$${i}` + part);
      return (await lite.query<Record<string, any>>(text, values)).rows;
    },
    store: createPgliteStore(lite),
    close: () => lite.close(),
  };
}
