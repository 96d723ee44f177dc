/**
 * The local NorthStar backend: both Edge Functions on localhost, under the same paths as
 * Supabase (`/functions/v1/ingest-traces`, `/functions/v1/prompts/resolve`), on an
 * embedded PostgreSQL (PGlite, data kept in `.northstar/pglite`) — or on a real one when
 * SUPABASE_DB_URL is set. It applies the migrations that are not applied yet, creates a
 * project and its API key on first start, and prints the endpoint, the key and a curl line.
 * It never replaces a key it did not create: when its saved key no longer works (rotated
 * elsewhere), it says so and exits; `--rotate-key` replaces the key on purpose.
 * Connections are served by scripts/lib/http1_server.ts, which keeps none for ever.
 *
 *   deno run -A scripts/serve.ts [--port 54321] [--data .northstar/pglite]
 *                                [--project-name "My Agent"] [--rotate-key]
 *
 * @module
 */
import { PGlite } from "npm:@electric-sql/pglite@0.5.16";
import postgres from "npm:postgres@3.4.9";
import { type GuardedStore, withCircuitBreaker } from "../supabase/functions/_shared/breaker.ts";
import { hash_api_key } from "../supabase/functions/_shared/core.ts";
import { optionsFromEnv } from "../supabase/functions/_shared/config.ts";
import { createIngestHandler } from "../supabase/functions/_shared/ingest.ts";
import { withKeyCache } from "../supabase/functions/_shared/key_cache.ts";
import { createResilientPgStore } from "../supabase/functions/_shared/pg_resilient.ts";
import { createPgliteStore } from "../supabase/functions/_shared/pglite_store.ts";
import { createPromptsHandler } from "../supabase/functions/_shared/prompts.ts";
import { serveHttp1 } from "./lib/http1_server.ts";
import { migrate, type MigrationDb, pgliteMigrationDb, postgresMigrationDb } from "./lib/migrate.ts";
import { createViewer } from "./lib/read_api.ts";

const USAGE = `usage: scripts/run.sh [--port N] [--data DIR] [--project-name NAME] [--rotate-key]`;

function parseArgs(args: string[]) {
  const out = { port: 54321, data: ".northstar/pglite", projectName: "My Agent", rotate: false };
  for (let i = 0; i < args.length; i++) {
    const value = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${args[i - 1]} needs a value\n${USAGE}`);
      return v;
    };
    switch (args[i]) {
      case "--port":
        out.port = Number(value());
        break;
      case "--data":
        out.data = value();
        break;
      case "--project-name":
        out.projectName = value();
        break;
      case "--rotate-key":
        out.rotate = true;
        break;
      case "-h":
      case "--help":
        console.log(USAGE);
        Deno.exit(0);
        break;
      default:
        throw new Error(`unknown argument ${args[i]}\n${USAGE}`);
    }
  }
  if (!Number.isInteger(out.port) || out.port < 0 || out.port > 65535) throw new Error(`bad --port\n${USAGE}`);
  return out;
}

/** `ns_` + base64url of 24 random bytes (the dashboard's key format, 35 characters). */
function newApiKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return "ns_" + btoa(String.fromCharCode(...bytes)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

interface Local {
  project_id: string;
  project_name: string;
  api_key: string;
}

async function main() {
  const args = parseArgs(Deno.args);
  const url = Deno.env.get("SUPABASE_DB_URL");
  const options = optionsFromEnv();
  let store: GuardedStore;
  let db: MigrationDb;
  let close: () => Promise<void>;
  let where: string;
  let stateFile: string;

  if (url) {
    const sql = postgres(url, { onnotice: () => {}, max: 2, prepare: false });
    db = postgresMigrationDb(sql);
    store = createResilientPgStore(url, options);
    close = async () => {
      await store.close();
      await sql.end();
    };
    where = `PostgreSQL at ${new URL(url).host} (SUPABASE_DB_URL)`;
    stateFile = ".northstar/local-" + new URL(url).host.replace(/[^a-zA-Z0-9]/g, "_") + ".json";
  } else {
    await Deno.mkdir(args.data, { recursive: true });
    const lite = await PGlite.create(args.data);
    db = pgliteMigrationDb(lite);
    // In process, PGlite is never unreachable; the breaker only guards against the unexpected.
    store = withCircuitBreaker(createPgliteStore(lite), { probe: () => lite.query("SELECT 1") });
    close = async () => {
      await store.close();
      await lite.close();
    };
    where = `embedded PostgreSQL (PGlite), data in ${args.data}`;
    stateFile = `${args.data.replace(/\/+$/, "")}.json`;
  }

  const migrated = await migrate(db);
  let local: Local | null = null;
  try {
    local = JSON.parse(await Deno.readTextFile(stateFile));
  } catch { /* first start */ }
  let action: "create" | "rotate" | "keep" = "keep";
  if (!local) {
    action = "create";
  } else if (args.rotate) {
    action = "rotate";
  } else if ((await store.resolveApiKey(hash_api_key(local.api_key))) !== local.project_id) {
    const [project] = await db.query("SELECT 1 AS found FROM private.projects WHERE id = $1::uuid", [
      local.project_id,
    ]);
    // A key rotated or revoked elsewhere belongs to whoever did it: never revoke it here.
    if (project) {
      throw new KeyError(
        `the API key saved in ${stateFile} no longer works for project ${local.project_id} ` +
          `(it was rotated or revoked elsewhere). This server does not replace a key it did not create.\n` +
          `  Use the current key in your clients, or issue a new one (this revokes the current key):\n` +
          `    scripts/run.sh --rotate-key${
            Deno.args.filter((a) => a !== "--rotate-key").map((a) => ` ${a}`).join("")
          }`,
      );
    }
    // The project is not in this database (a new database): creating it revokes nothing.
    action = "create";
  }
  if (action !== "keep") {
    const project_id = local?.project_id ?? crypto.randomUUID();
    const project_name = local?.project_name ?? args.projectName;
    const api_key = newApiKey();
    await db.query("SELECT public.create_or_rotate_project_api_key($1::uuid, $2, $3::uuid, $4)", [
      project_id,
      project_name,
      crypto.randomUUID(),
      hash_api_key(api_key),
    ]);
    local = { project_id, project_name, api_key };
    await Deno.mkdir(new URL(".", `file://${await Deno.realPath(".")}/${stateFile}`), { recursive: true });
    await Deno.writeTextFile(stateFile, JSON.stringify(local, null, 2) + "\n", { mode: 0o600 });
  }

  store = withKeyCache(store); // a revoked or rotated key is refused within 5 s (key_cache.ts)
  const ingest = createIngestHandler(store, options);
  const prompts = createPromptsHandler(store, options);
  const viewer = createViewer({
    query: (q, p) => db.query(q, p),
    projectId: local!.project_id,
    projectName: local!.project_name,
  });
  const server = serveHttp1({
    hostname: "127.0.0.1",
    port: args.port,
    headersTimeoutMs: options.headersTimeoutMs,
    idleTimeoutMs: options.idleTimeoutMs,
    onListen: ({ port }) => {
      const base = `http://127.0.0.1:${port}/functions/v1`;
      const key = local!.api_key;
      console.log(`NorthStar ingest server on ${where}`);
      if (migrated.length > 0) console.log(`  applied ${migrated.length} migrations`);
      console.log(`  ingest:  ${base}/ingest-traces`);
      console.log(`  prompts: ${base}/prompts/resolve`);
      console.log(`  viewer:  ${viewer.url(port)}`);
      console.log(`  project: ${local!.project_id} (${local!.project_name})`);
      console.log(`  API key: ${key}${args.rotate ? "  (new: the previous key no longer works)" : ""}`);
      console.log(`Send the contract's example batch:`);
      console.log(
        `  curl -sS ${base}/ingest-traces -H 'Authorization: Bearer ${key}' -H 'Content-Type: application/json' --data-binary @tests/fixtures/example-a.json`,
      );
      console.log(`Point the SDK here: NORTHSTAR_ENDPOINT=${base}/ingest-traces NORTHSTAR_API_KEY=${key}`);
      console.log(`Rotate the key: scripts/run.sh --rotate-key    Stop: Ctrl-C`);
    },
  }, (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/functions/v1/ingest-traces" || path.startsWith("/functions/v1/ingest-traces/")) {
      return ingest(request);
    }
    if (path === "/functions/v1/prompts" || path.startsWith("/functions/v1/prompts/")) return prompts(request);
    if (viewer.handles(path)) return viewer.handle(request);
    return new Response(JSON.stringify({ error: "Not found" }), {
      status: 404,
      headers: { "Content-Type": "application/json" },
    });
  });

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.shutdown();
    await close();
    Deno.exit(0);
  };
  Deno.addSignalListener("SIGINT", stop);
  Deno.addSignalListener("SIGTERM", stop);
}

/** A saved key that no longer works: the operator must choose (exit status 2). */
class KeyError extends Error {}

try {
  await main();
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  Deno.exit(e instanceof KeyError ? 2 : 1);
}
