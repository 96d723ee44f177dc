/**
 * What a Deno suite needs beyond the code: permissions, and tools the test command sets up
 * (scripts/test-e2e.sh starts PostgreSQL and exports SUPABASE_DB_URL). Each helper returns
 * the `ignore` flag for `Deno.test` and, when the suite cannot run, prints one line saying
 * what is missing and how to run it, so that `deno test` passes without the tool instead of
 * failing. Permissions are only queried, never requested: a run never stops at a prompt.
 *
 * ```ts
 * Deno.test({ name: "…", ignore: requirePostgres("the ingest path on PostgreSQL 15"), fn });
 * ```
 *
 * @module
 */

/** How to run every suite, tools included. */
export const RUN_EVERYTHING = "scripts/test.sh sets it up and runs it";

/** How to run a suite that needs only what deno.json's permission set grants. */
export const RUN_WITH_PERMISSION_SET = "run `deno test -P` (deno.json's permission set) or scripts/test.sh";

const printed = new Set<string>();

/** Prints `skipped: <suite>: <missing>; <how to run it>` once per suite and reason. */
export function reportSkip(suite: string, missing: string, howToRun = RUN_EVERYTHING): void {
  const line = `skipped: ${suite}: ${missing}; ${howToRun}`;
  if (printed.has(line)) return;
  printed.add(line);
  console.log(line);
}

/** Whether every descriptor is granted to this run (queried, never prompted). */
export function granted(...descriptors: Deno.PermissionDescriptor[]): boolean {
  return descriptors.every((d) => Deno.permissions.querySync(d).state === "granted");
}

/** The value of an environment variable, or `undefined` when it is unset or not readable. */
export function readVariable(name: string): string | undefined {
  return granted({ name: "env", variable: name }) ? Deno.env.get(name) || undefined : undefined;
}

/**
 * `ignore` for a suite that needs permissions `deno test -P` (deno.json's set) does not
 * grant; `what` says what they are for, e.g. "to run bash (scripts/run.sh)".
 */
export function requirePermissions(suite: string, what: string, ...descriptors: Deno.PermissionDescriptor[]): boolean {
  if (granted(...descriptors)) return false;
  reportSkip(suite, `needs permission ${what}`);
  return true;
}

/**
 * `ignore` for a suite that needs permissions deno.json's set grants (so `deno test -P` runs
 * it, plain `deno test`, which grants none, skips it); `what` says what they are for.
 */
export function requirePermissionSet(
  suite: string,
  what: string,
  ...descriptors: Deno.PermissionDescriptor[]
): boolean {
  if (granted(...descriptors)) return false;
  reportSkip(suite, `needs permission ${what}`, RUN_WITH_PERMISSION_SET);
  return true;
}

/** Why `name` has no value: unset, or not readable without permission (plain `deno test`). */
function unsetReason(name: string): string {
  return granted({ name: "env", variable: name }) ? `${name} is not set` : `no permission to read ${name}`;
}

/** `ignore` for a suite that needs an environment variable the test command sets (`setBy`). */
export function requireVariable(suite: string, name: string, setBy: string): boolean {
  if (readVariable(name)) return false;
  reportSkip(suite, `${unsetReason(name)} (${setBy})`);
  return true;
}

/**
 * `ignore` for a suite that needs the PostgreSQL server of scripts/test-e2e.sh: its URL in
 * SUPABASE_DB_URL, every environment variable (postgres.js reads PGPASSWORD and the other
 * PG* variables) and the network to the server.
 */
export function requirePostgres(suite: string): boolean {
  const url = readVariable("SUPABASE_DB_URL");
  if (!url) {
    reportSkip(
      suite,
      `no PostgreSQL server (${unsetReason("SUPABASE_DB_URL")})`,
      "scripts/test.sh runs it on a throwaway cluster",
    );
    return true;
  }
  let host: string;
  try {
    const parsed = new URL(url);
    host = parsed.port ? `${parsed.hostname}:${parsed.port}` : parsed.hostname;
  } catch {
    reportSkip(suite, "SUPABASE_DB_URL is not a URL");
    return true;
  }
  return requirePermissions(suite, `to read every environment variable and reach ${host}`, { name: "env" }, {
    name: "net",
    host,
  });
}
