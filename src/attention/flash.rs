//! Exact whole-bank heads through burn's attention op (`burn::tensor::module::attention`),
//! the [`GpuAttention::Flash`](super::GpuAttention::Flash) route, an alternative to the streamed
//! tiles of [`super::stream`] on a GPU.
//!
//! In the `vulkan` build burn autotunes that op among cubek's flash-attention kernels: each
//! head is one fused pass over the bank, with the scores, their exponentials and sums, and
//! `P · V` kept on chip. Other builds
//! (WGSL, the browser's) run burn's unfused version of the op, which holds a chunk's scores
//! in memory, so there batches go in chunks whose scores stay within the tile budget.
//!
//! The op divides scores by `√width` and applies no other temperature, so each head's queries
//! carry `scale · √width`. Its query rows are padded to a multiple of [`QUERY_ALIGN`] (the flash
//! kernels' stages must divide them). The geographic head's 3-d unit vectors are split into f16
//! halves (`x = hi + lo`, each exact in f16), so that the accelerated kernels, which multiply
//! in f16, lose nothing at a temperature of 40: `q · k = hiᵠ·hiᵏ + hiᵠ·loᵏ + loᵠ·hiᵏ` up to a
//! term below 1e-6, in [`GEO_WIDTH`] columns.

// burn's attention op itself: natively; the browser build leaves it out (there it would be
// burn's unfused op, and its kernels would only add to the package) and gets a stub that
// refuses the route.
#[cfg(flash_op)]
#[path = "flash_op.rs"]
mod op;
#[cfg(not(flash_op))]
#[path = "flash_op_stub.rs"]
mod op;

use burn::tensor::{DType, Device, Tensor, TensorData};
use half::f16;

use super::Against;
use crate::bank::{BankView, Matrix};
use crate::error::{Error, Result};

/// Query rows per call are a multiple of this.
pub const QUERY_ALIGN: usize = 128;

/// Columns of the geographic head's vectors: `[hi, lo, hi]` or `[hi, hi, lo]` (9), zero-padded
/// to the depth of a matrix unit's tile.
pub const GEO_WIDTH: usize = 16;

/// Whether this build's attention op runs burn's flash kernels: burn picks them by
/// autotuning, which only the `vulkan` build enables (elsewhere it is burn's unfused op).
pub const AUTOTUNED: bool = cfg!(feature = "vulkan");

/// The bank's side of the geographic head, `[rows, GEO_WIDTH]`, in the bank's dtype (its
/// values are exact in f16, so an f16 bank's copy loses nothing and no call casts it).
pub struct FlashBank {
    xyz: Tensor<2>,
}

impl FlashBank {
    /// From the bank's unit vectors (`rows × 3`, device row order), held in `dtype`.
    pub fn new(xyz: &[f32], device: &Device, dtype: DType) -> Self {
        let split: Vec<f32> = xyz
            .chunks_exact(3)
            .flat_map(|v| {
                let (hi, lo) = halves(v);
                widen([hi, lo, hi])
            })
            .collect();
        let rows = xyz.len() / 3;
        Self {
            xyz: Tensor::from_data(TensorData::new(split, [rows, GEO_WIDTH]), (device, dtype)),
        }
    }
}

/// The semantic head's queries for the op: `q · scale · √width`.
pub fn key_queries(q: &Tensor<2>, scale: f32) -> Tensor<2> {
    let width = q.dims()[1] as f32;
    q.clone().mul_scalar(scale * width.sqrt())
}

/// The geographic head's queries for the op, from the points' unit vectors (`points × 3`).
pub fn location_queries(xyz: &[f32], scale: f32, device: &Device) -> Tensor<2> {
    let factor = scale * (GEO_WIDTH as f32).sqrt();
    let split: Vec<f32> = xyz
        .chunks_exact(3)
        .flat_map(|v| {
            let scaled = [v[0] * factor, v[1] * factor, v[2] * factor];
            let (hi, lo) = halves(&scaled);
            widen([hi, hi, lo])
        })
        .collect();
    Tensor::from_data(TensorData::new(split, [xyz.len() / 3, GEO_WIDTH]), device)
}

/// Each head's `softmax · V` (`[batch, value_dim]`, f32) over the whole bank, for queries
/// from [`key_queries`] / [`location_queries`]. `chunk` bounds the query rows of one call (a
/// multiple of [`QUERY_ALIGN`] is best); an error for an int8 or host bank.
pub fn attend(
    view: &BankView,
    bank: &FlashBank,
    heads: &[(Tensor<2>, Against)],
    chunk: usize,
) -> Result<Vec<Tensor<2>>> {
    let (Matrix::Device(keys), Matrix::Device(values)) = (view.keys, view.values) else {
        return Err(unsupported());
    };
    let dtype = values.dtype();
    check_dtype(dtype)?;
    let k4 = |k: &Tensor<2>| {
        let [rows, width] = k.dims();
        let k = if k.dtype() == dtype {
            k.clone()
        } else {
            k.clone().cast(dtype)
        };
        k.reshape([1, 1, rows, width])
    };
    let (semantic, geographic) = (k4(keys), k4(&bank.xyz));
    let [rows, value_dim] = values.dims();
    let v4 = values.clone().reshape([1, 1, rows, value_dim]);
    heads
        .iter()
        .map(|(q, against)| {
            let k = match against {
                Against::Keys => &semantic,
                Against::Locations => &geographic,
            };
            Ok(view.with_value_scale(chunked(q, k, &v4, chunk.max(1))?.cast(DType::F32)))
        })
        .collect()
}

/// The query rows that one unfused call may take with the scores of `rows` bank rows within
/// `budget` elements (at least [`QUERY_ALIGN`]); every batch at once where the op is fused.
pub fn chunk_rows(rows: usize, budget: usize) -> usize {
    if AUTOTUNED {
        usize::MAX
    } else {
        (budget / rows.max(1) / QUERY_ALIGN).max(1) * QUERY_ALIGN
    }
}

/// `q` against `k`/`v` in calls of at most `chunk` rows, each padded to [`QUERY_ALIGN`].
fn chunked(q: &Tensor<2>, k: &Tensor<4>, v: &Tensor<4>, chunk: usize) -> Result<Tensor<2>> {
    let [batch, width] = q.dims();
    let dtype = v.dtype();
    let parts = (0..batch)
        .step_by(chunk)
        .map(|start| {
            let len = chunk.min(batch - start);
            let padded = len.next_multiple_of(QUERY_ALIGN);
            let mut part = q.clone().narrow(0, start, len).cast(dtype);
            if padded > len {
                let zeros = Tensor::<2>::zeros([padded - len, width], (&q.device(), dtype));
                part = Tensor::cat(vec![part, zeros], 0);
            }
            let out = call(part.reshape([1, 1, padded, width]), k.clone(), v.clone())?;
            let value_dim = v.dims()[3];
            Ok(out.reshape([padded, value_dim]).narrow(0, 0, len))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Tensor::cat(parts, 0))
}

/// Whether this build has the route (see [`op`]): `Ok`, or `unavailable`.
pub(crate) use op::available;
use op::call;

/// An f16 bank goes through the op only where it is fused: burn's unfused op keeps the scores
/// and the softmax in the inputs' dtype, and f16 scores of up to 40 are ~1% off (measured on
/// lavapipe), where the flash kernels sum them in f32.
pub(crate) fn check_dtype(dtype: DType) -> Result<()> {
    if dtype == DType::F16 && !AUTOTUNED {
        return Err(Error::Invalid(
            "flash attention with an f16 bank needs the flash kernels of the `vulkan` build (burn's unfused op would compute the softmax in f16)".into(),
        ));
    }
    Ok(())
}

pub(crate) fn unsupported() -> Error {
    Error::Invalid("flash attention takes an f32 or f16 bank held whole on a GPU (not int8, not in tiles past the GPU's largest buffer, not the CPU)".into())
}

/// `v` as f16 halves: `hi = f16(v)`, `lo = f16(v − hi)`.
fn halves(v: &[f32]) -> ([f32; 3], [f32; 3]) {
    let round = |x: f32| f16::from_f32(x).to_f32();
    let hi = [round(v[0]), round(v[1]), round(v[2])];
    let lo = [round(v[0] - hi[0]), round(v[1] - hi[1]), round(v[2] - hi[2])];
    (hi, lo)
}

/// Three 3-vectors side by side, zero-padded to [`GEO_WIDTH`].
fn widen(parts: [[f32; 3]; 3]) -> [f32; GEO_WIDTH] {
    let mut row = [0.0; GEO_WIDTH];
    for (i, x) in parts.iter().flatten().enumerate() {
        row[i] = *x;
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_halves_keep_the_dot_product_to_f32_precision() {
        let (a, b) = ([0.267_261_24_f32, 0.534_522_5, 0.801_783_7], [0.6_f32, -0.8, 0.0]);
        let factor = 40.0 * (GEO_WIDTH as f32).sqrt();
        let (qh, ql) = halves(&[a[0] * factor, a[1] * factor, a[2] * factor]);
        let (kh, kl) = halves(&b);
        let (q, k) = (widen([qh, qh, ql]), widen([kh, kl, kh]));
        let got: f64 = q
            .iter()
            .zip(&k)
            .map(|(x, y)| (f16::from_f32(*x).to_f32() * f16::from_f32(*y).to_f32()) as f64)
            .sum();
        let want: f64 = a.iter().zip(&b).map(|(x, y)| (*x as f64) * (*y as f64)).sum::<f64>() * factor as f64;
        // Every part is exact in f16, so the f16 products lose nothing but the lo·lo term.
        assert!((got - want).abs() < 1e-4, "{got} vs {want}");
        // Plain f16 vectors would be off by ~1e-2 at this temperature.
        let plain: f64 = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (f16::from_f32(x * factor).to_f32() * f16::from_f32(*y).to_f32()) as f64)
            .sum();
        assert!((plain - want).abs() > 10.0 * (got - want).abs());
    }

    /// The route is in every native build (burn's op, `flash_op.rs`); only the browser build
    /// (no tests run there) has the stub.
    #[test]
    fn native_builds_have_the_route() {
        assert!(
            available().is_ok(),
            "the flash route is missing: is `flash_op` set by build.rs?"
        );
    }

    #[test]
    fn unfused_chunks_keep_their_scores_within_the_budget() {
        if AUTOTUNED {
            return;
        }
        assert_eq!(chunk_rows(100_000, 8 << 20), QUERY_ALIGN, "at least one aligned chunk");
        assert_eq!(chunk_rows(10_000, 8 << 20) % QUERY_ALIGN, 0);
        assert!(chunk_rows(10_000, 8 << 20) * 10_000 <= 8 << 20);
        assert_eq!(chunk_rows(10_000_000, 1), QUERY_ALIGN);
    }
}
