//! # NorthStar ingest core
//!
//! Validates and prepares the trace batches the NorthStar SDK sends, hashes API keys,
//! and holds the prompt-template rules. Plain Rust, usable natively; compiled to
//! WebAssembly (module [`wasm`]) for the Supabase Edge Functions and for browsers.
//!
//! The entry points:
//! - [`prepare_batch`]: body bytes + the key's project → one JSON text per entity list,
//!   ready to be passed to PostgreSQL as `jsonb`, or a [`Rejection`] listing every
//!   violation with its JSON path; [`prepare_batch_as`] with [`Format::Rows`] writes the
//!   record lists as rows text for `private.ingest_prepared_rows` instead, and with
//!   [`Format::Binary`] as one PostgreSQL binary array per column for
//!   `private.ingest_prepared_typed`.
//! - [`validate_batch`]: the same rules without a project.
//! - [`prepare_otlp`]: an OTLP/HTTP trace export (protobuf or JSON) mapped onto the
//!   same records and prepared the same way.
//! - [`hash_api_key`], [`parse_bearer`]: the key rules.
//! - [`prompt`]: template variables, rendering and content hash.

pub mod auth;
pub mod batch;
pub mod binary;
mod emit;
pub mod formats;
pub mod json;
pub mod limits;
pub mod model;
pub mod order;
pub mod otlp;
pub mod prompt;
pub mod repair;
pub mod text;
pub mod validate;
pub mod violation;
#[cfg(target_arch = "wasm32")]
pub mod wasm;

pub use auth::{hash_api_key, parse_bearer};
pub use batch::{prepare_batch, prepare_batch_as, validate_batch, Counts, PreparedBatch, Validated};
pub use emit::{Format, BINARY_COLUMNS, ROW_FIELDS, ROW_TYPES};
pub use limits::Limits;
pub use otlp::{prepare_otlp, OtlpRejection, PreparedOtlp};
pub use violation::{Code, Rejection, Violation, Warning};
