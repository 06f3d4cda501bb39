//! Attention from a batch of queries to the bank: `softmax(scale · q·Kᵀ) · V`, one module per
//! route, and the choice among them.
//!
//! - [`stream`]: the bank in tiles with an online softmax, a few burn ops per tile (every device;
//!   the CPU's large batches, and the GPU's default natively).
//! - [`cpu`]: the CPU kernel, straight from the bank's int8 or f32 rows (single points and small
//!   batches; one file per instruction set).
//! - [`fused`]: our own GPU kernel, one pass per head (WGSL builds: the browser's default on
//!   WebGPU). A build without it gets a stub that refuses with [`Error::Unavailable`].
//! - [`flash`]: burn's attention op (flash kernels in the `vulkan` build).
//!
//! Which route a batch takes is [`Model`](crate::Model)'s choice ([`GpuAttention`] on a GPU,
//! the batch size on the CPU).

// The routes' kernels are the crate's own; `crate::internals` lends the few that benches and
// integration tests drive directly.
pub(crate) mod cpu;
pub(crate) mod flash;
#[cfg(gpu_kernel)]
pub(crate) mod fused;
#[cfg(not(gpu_kernel))]
#[path = "fused_stub.rs"]
pub(crate) mod fused;
pub(crate) mod stream;

use crate::error::{Error, Result};

/// One attention head: which bank matrix it scores against, and its temperature.
#[derive(Clone, Copy, Debug)]
pub struct HeadSpec {
    /// Multiplier of the scores (the softmax's inverse temperature).
    pub scale: f32,
    pub against: Against,
}

/// The bank matrix a head's queries are compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Against {
    /// The keys (cosine similarity of unit vectors).
    Keys,
    /// The locations' unit vectors (cosine of the angle on the sphere).
    Locations,
}

/// The arithmetic of the CPU kernel's score pass against an int8 bank.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Compute {
    /// Each int8 key row widened to f32 and multiplied with the f32 query: today's numbers,
    /// which the parity tests hold to the reference. The default.
    #[default]
    Exact,
    /// int8 × int8 dot products, the query quantised per point in two int8 parts
    /// (`cpu::int8`); scores within about 1e-4 of a logit of `Exact`'s, embeddings within
    /// cosine 0.9999 (tests/integration/int8_compute.rs). Every batch size takes the CPU
    /// kernel; f32 banks and GPUs compute as `Exact`.
    Int8,
}

impl Compute {
    /// Parses `exact` or `int8`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "exact" => Ok(Self::Exact),
            "int8" => Ok(Self::Int8),
            other => Err(Error::Invalid(format!(
                "unknown compute {other:?} (expected exact or int8)"
            ))),
        }
    }
}

/// How a GPU runs the exact heads over the whole bank.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum GpuAttention {
    /// Tiles of the bank with an online softmax, a few burn ops per tile ([`stream`]).
    /// The default.
    #[default]
    Stream,
    /// burn's attention op, one call per head over the whole bank: fused flash-attention kernels
    /// in the `vulkan` build (autotuned), burn's unfused op elsewhere. f32 and f16 banks only.
    Flash,
    /// Our own kernel, one pass per head over the whole bank with nothing but one tile's
    /// weights in workgroup memory ([`fused`]): the default wgpu build and the
    /// browser's, not the `vulkan` build (whose fusion wraps the tensors it reads). f32, f16
    /// and int8 banks (read in place).
    Fused,
}

impl GpuAttention {
    /// Parses `stream`, `flash` or `fused`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "stream" => Ok(Self::Stream),
            "flash" => Ok(Self::Flash),
            "fused" => Ok(Self::Fused),
            other => Err(Error::Invalid(format!(
                "unknown GPU attention {other:?} (expected stream, flash or fused)"
            ))),
        }
    }
}

/// Whether a head may skip the running maximum. Queries and keys are unit vectors (int8 keys
/// within a few per cent), so |score| ≤ 1.05 · scale: with `exp(score)` taken as it is, every
/// weight lies in [e^−1.05·scale, e^1.05·scale] (normal f32 numbers for scale ≤ 76) and the
/// sums stay below `e^1.05·scale · rows · max|value|`, which must be far inside f32 (< 1e30).
/// The softmax is the same — the maximum only guards the range — with two passes over each
/// score tile and the rescaling of the accumulators saved.
pub fn bounded(scale: f32, rows: usize, value_bound: f32) -> bool {
    let top = 1.05 * scale.abs() as f64;
    top <= 80.0 && top.exp() * rows as f64 * (value_bound as f64).max(1e-30) < 1e30
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_names_parse() {
        assert_eq!(GpuAttention::parse("flash").ok(), Some(GpuAttention::Flash));
        assert_eq!(GpuAttention::parse("stream").ok(), Some(GpuAttention::Stream));
        assert_eq!(GpuAttention::parse("fused").ok(), Some(GpuAttention::Fused));
        assert!(GpuAttention::parse("fast").is_err());
        assert_eq!(Compute::parse("int8").ok(), Some(Compute::Int8));
        assert_eq!(Compute::parse("exact").ok(), Some(Compute::Exact));
        assert!(Compute::parse("int4").is_err());
    }

    #[test]
    fn scores_are_bounded_only_while_the_sums_stay_far_inside_f32() {
        assert!(bounded(15.0, 100_000, 10.0));
        assert!(bounded(40.0, 1_000_000, 100.0));
        assert!(!bounded(40.0, 1_000_000, 1e20), "the sums could overflow");
        assert!(!bounded(100.0, 10, 1.0), "the smallest weights would be subnormal");
    }
}
