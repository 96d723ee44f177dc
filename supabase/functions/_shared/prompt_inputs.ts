/**
 * The rules for the `prompts/resolve` lookup keys (`slug`, its fallback `name`, and `label`):
 * what PostgreSQL would refuse with its own text (a NUL character) or could not store as
 * UTF-8 (a lone UTF-16 surrogate, which `"\ud800"` in JSON gives), and over-long values,
 * are refused with a 400 naming the field, like the ingest violations.
 *
 * @module
 */

/** Longest slug or label accepted, in characters (Unicode code points). */
export const MAX_PROMPT_KEY_CHARS = 200;

/** One refused input, as the ingest 400s report them. */
export interface InputViolation {
  path: string;
  code: "nul_character" | "lone_surrogate" | "too_long";
  message: string;
}

/** The violations of one lookup key (`path` names the field), or none. */
export function promptKeyViolations(path: string, value: string): InputViolation[] {
  if (value.includes("\u0000")) {
    return [{ path, code: "nul_character", message: `${path} must not contain NUL (\\u0000) characters` }];
  }
  if (!value.isWellFormed()) {
    return [{ path, code: "lone_surrogate", message: `${path} must not contain unpaired UTF-16 surrogates` }];
  }
  let chars = 0;
  for (const _ of value) {
    if (++chars > MAX_PROMPT_KEY_CHARS) {
      return [{ path, code: "too_long", message: `${path} must be at most ${MAX_PROMPT_KEY_CHARS} characters` }];
    }
  }
  return [];
}
