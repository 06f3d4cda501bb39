//! georange: RANGE geo-embeddings (CVPR 2025, "Retrieval Augmented Neural Fields for
//! Multi-Resolution Geo-Embeddings") on CPU and GPU through burn.
//!
//! A point (lon, lat) goes through a location encoder (SatCLIP: spherical harmonics and a
//! SIREN) to `q`; RANGE adds a softmax-weighted average of the values of a retrieval bank,
//! streamed tile by tile. `ARCHITECTURE.md` maps the modules and their layers.

// Ground floor: errors, coordinates, row-major copies, threads, devices.
pub mod backend;
pub mod error;
pub mod geo;
pub mod layout;
mod parallel;
pub mod seeded;
// Files, then the two halves of a model, then attention over the bank, then the model.
pub mod attention;
pub mod bank;
pub mod encoder;
pub mod export;
pub mod format;
pub mod model;
pub mod probe;
// Entry points: the official formats (CLI builds) and the browser's API.
#[cfg(feature = "cli")]
pub mod convert;
#[cfg(web_api)]
mod wasm;

/// Kernel entry points that this crate's own benches and integration tests drive directly:
/// not API, no stability promise.
#[doc(hidden)]
pub mod internals {
    pub use crate::attention::cpu::kernel_up_to;
    pub use crate::attention::flash::AUTOTUNED as FLASH_AUTOTUNED;
    pub use crate::attention::stream::{MIN_TILE, product, stream, stream_mixed, tile_rows};
}

pub use attention::{Compute, GpuAttention};
pub use backend::Backend;
pub use bank::{Bank, GpuPrecision};
pub use encoder::Encoder;
pub use error::{Error, Result};
pub use format::StorageDtype;
pub use model::{Compare, Model, Similar, Variant};
pub use parallel::with_threads;
