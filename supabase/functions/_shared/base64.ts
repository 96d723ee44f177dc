/**
 * Base64 to bytes on every runtime the functions meet: `Uint8Array.fromBase64` where the
 * runtime has it (Deno 2.9), `atob` where it does not (the Supabase Edge runtime may run an
 * older Deno). Both skip ASCII whitespace, so wrapped text decodes as it is.
 *
 * @module
 */

/** The native decoder, or `undefined` on a runtime that lacks it. */
export const nativeFromBase64: ((text: string) => Uint8Array<ArrayBuffer>) | undefined =
  typeof Uint8Array.fromBase64 === "function" ? (text) => Uint8Array.fromBase64(text) : undefined;

/**
 * Decodes base64 `text` (whitespace allowed) with `fromBase64` when given, else with `atob`.
 * `fromBase64` is a parameter so that tests can take the `atob` path on any runtime.
 */
export function base64ToBytes(text: string, fromBase64 = nativeFromBase64): Uint8Array<ArrayBuffer> {
  if (fromBase64) return fromBase64(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
