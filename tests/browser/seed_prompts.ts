/**
 * Seeds a prompt for the viewer's browser test into a local server's PGlite data directory
 * (the server stopped: PGlite has one process per directory). Prompts are made by the
 * dashboard's RPCs, which no HTTP endpoint of the local server offers, so the test calls the
 * same functions here: two versions, labels moved between them (three history rows).
 *
 *   deno run -A tests/browser/seed_prompts.ts DATA_DIR PROJECT_ID   → prints {prompt_id, v1, v2}
 *
 * @module
 */
import { PGlite } from "npm:@electric-sql/pglite@0.5.16";

const [data, project] = Deno.args;
if (!data || !project) throw new Error("usage: seed_prompts.ts DATA_DIR PROJECT_ID");
const db = await PGlite.create(data);
try {
  const one = async (sql: string, params: unknown[]) => (await db.query<Record<string, string>>(sql, params)).rows[0];
  const prompt = await one(
    "SELECT id FROM public.dashboard_create_prompt($1::uuid, 'Summarizer', 'summarizer', 'Summarizes a document', 'seed')",
    [project],
  );
  const version = (content: string, note: string) =>
    one(
      `SELECT id FROM public.dashboard_create_prompt_version($1::uuid, $2::uuid, $3, 'gpt-4o', 0.2, 512,
        '[]'::jsonb, NULL, $4, 'seed')`,
      [project, prompt.id, content, note],
    );
  const v1 = await version("You summarize documents.\nSummarize {{ doc }} in {max_words} words.\nBe brief.", "first");
  const v2 = await version(
    "You summarize documents.\nSummarize {{ doc }} in at most {max_words} words.\nBe brief.\nCite the title.",
    "tighter wording",
  );
  const label = (name: string, versionId: string, note: string) =>
    one("SELECT id FROM public.dashboard_set_prompt_label($1::uuid, $2::uuid, $3, $4::uuid, $5, 'seed')", [
      project,
      prompt.id,
      name,
      versionId,
      note,
    ]);
  await label("prod", v1.id, "first release");
  await label("staging", v2.id, "try the new wording");
  await label("prod", v2.id, "promote v2");
  console.log(JSON.stringify({ prompt_id: prompt.id, v1: v1.id, v2: v2.id }));
} finally {
  await db.close();
}
