//! Our file formats: an encoder file and a bank file, each one safetensors file whose
//! `__metadata__` block names the format, its version, the architecture and a content hash.
//! `docs/FORMAT.md` describes the layout for readers in other languages.

mod container;
mod hash;
mod quant;
mod rows;

pub use container::{Cut, FileReader, FileWriter, Int8Span, Seal, Stored, check_pin, finite_rows};
pub use hash::hex;
pub use quant::{StorageDtype, dequantize_rows, quantize_row, quantize_rows};
pub use rows::Rows;

/// Format name of encoder files (`__metadata__.format`).
pub const ENCODER_FORMAT: &str = "georange-encoder";
/// Format name of bank files (`__metadata__.format`).
pub const BANK_FORMAT: &str = "georange-bank";
/// The version of both formats this build writes: 2, whose content hash is BLAKE3.
pub const FORMAT_VERSION: &str = "2";
/// The versions this build reads: 1 (content hash SHA-256) and 2 (`format::hash`).
pub const READ_VERSIONS: &str = "1 and 2";
