/* tslint:disable */
/* eslint-disable */
export const memory: WebAssembly.Memory;
export const content_hash: (a: number, b: number) => [number, number];
export const default_limits: () => [number, number, number];
export const extract_variables: (a: number, b: number) => [number, number, number];
export const hash_api_key: (a: number, b: number) => [number, number];
export const parse_bearer: (a: number, b: number) => [number, number];
export const prepare_batch: (a: number, b: number, c: number, d: number, e: any, f: number, g: number) => [number, number, number];
export const prepare_otlp: (a: number, b: number, c: number, d: number, e: number, f: number, g: any) => [number, number, number];
export const render: (a: number, b: number, c: any) => [number, number, number, number];
export const validate_batch: (a: any, b: any) => [number, number, number];
export const variables_schema: (a: number, b: number) => [number, number, number];
export const __wbindgen_malloc: (a: number, b: number) => number;
export const __wbindgen_realloc: (a: number, b: number, c: number, d: number) => number;
export const __wbindgen_free: (a: number, b: number, c: number) => void;
export const __wbindgen_exn_store: (a: number) => void;
export const __externref_table_alloc: () => number;
export const __wbindgen_externrefs: WebAssembly.Table;
export const __externref_table_dealloc: (a: number) => void;
export const __wbindgen_start: () => void;
