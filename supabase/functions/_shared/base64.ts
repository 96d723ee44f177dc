/**
 * Base64 to bytes on every runtime the functions meet: `Uint8Array.fromBase64` where the
 * runtime has it (Deno 2.9), `atob` where it does not (the Supabase Edge runtime may run an
 * older Deno). Both skip ASCII whitespace, so wrapped text decodes as it is.
 *
 * @module
 */

/** Decodes base64 (whitespace allowed) with `atob`, which every runtime has. */
export function base64ToBytesViaAtob(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Decodes base64 (whitespace allowed): `Uint8Array.fromBase64` when present, else `atob`. */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> {
  return typeof Uint8Array.fromBase64 === "function" ? Uint8Array.fromBase64(text) : base64ToBytesViaAtob(text);
}
