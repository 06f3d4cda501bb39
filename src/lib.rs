//! georange: RANGE geo-embeddings (CVPR 2025, "Retrieval Augmented Neural Fields for
//! Multi-Resolution Geo-Embeddings") on CPU and GPU through burn.
//!
//! A point (lon, lat) goes through a location encoder (SatCLIP: spherical harmonics and a
//! SIREN) to `q`; RANGE adds a softmax-weighted average of the values of a retrieval bank,
//! streamed tile by tile. See `ARCHITECTURE.md`.

pub mod attention;
pub mod backend;
pub mod bank;
pub mod compact;
#[cfg(feature = "cli")]
pub mod convert;
pub mod encoder;
pub mod error;
pub mod flash;
pub mod format;
pub mod fused;
// Not in the `vulkan` build: burn's fusion wraps the device tensors the kernel reads.
#[cfg(all(feature = "wgpu", not(feature = "vulkan")))]
pub mod fused_gpu;
pub mod geo;
pub mod imagery;
pub mod layout;
pub mod model;
mod parallel;
pub mod quantized;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128;
pub mod spatial;
pub mod weights;

#[cfg(all(target_arch = "wasm32", feature = "web"))]
mod wasm;

pub use backend::Backend;
pub use bank::{Bank, GpuPrecision};
pub use encoder::Encoder;
pub use error::{Error, Result};
pub use flash::GpuAttention;
pub use format::StorageDtype;
pub use model::{Model, Variant};
