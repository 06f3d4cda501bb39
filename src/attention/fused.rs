//! One head of attention over the whole bank in one GPU kernel (cubecl): scores, weights,
//! their sums and `P · V` without the score matrix in memory — the GPU counterpart of
//! the CPU kernel ([`super::cpu`]): the [`GpuAttention::Fused`](super::GpuAttention::Fused)
//! route, for WGSL (browsers, native wgpu). Not in the `vulkan` build, whose fusion
//! wraps the device tensors the kernel reads.
//!
//! A workgroup takes [`Shape::queries`] points and a contiguous share of the bank rows (a
//! *split*), and walks its share [`Shape::tile`] rows at a time:
//! 1. each thread scores a block of up to [`QUERY_BLOCK`] points against [`ROWS_PER_THREAD`]
//!    consecutive rows (`q · k`, every key vector it loads serving all its points) and puts the
//!    weights `exp(score)` into workgroup memory, one 4-wide vector per point and four rows;
//! 2. each thread owns a few 4-wide columns of the values for every point of the workgroup and
//!    adds `weight · v` for the tile's rows into registers, four rows at a time (one read of
//!    workgroup memory per point and four rows).
//!
//! Its workgroup memory is 16 KiB at most, WebGPU's guaranteed size.
//!
//! The weights are `exp(score)` as they are, with no running maximum: a head's scores are
//! cosines times its temperature, so they are bounded ([`super::bounded`], the
//! same rule the streamed tiles use) and every weight is a normal f32 number. That keeps each
//! tile to two workgroup barriers and no rescaling, and makes the splits independent: each
//! writes its partial sums `Σ w·v` and `Σ w`, and the host adds the splits and divides.
//! Enough splits are made that small batches still fill the GPU (one point: up to
//! [`TARGET_WORKGROUPS`] workgroups over the bank).
//!
//! Keys and values are read as stored and widened in the kernel: f32, f16, or int8 codes four
//! to a `u32` with a scale per row (a bank held int8 on the GPU, [`crate::bank::int8_tiles`],
//! read in place: the key scale multiplies the score, the value scale joins the weight). Every
//! sum is f32.

use burn::backend::Cube;
use burn::tensor::{DType, Device, Tensor, TensorData};
use burn_cubecl::cubecl;
use burn_cubecl::cubecl::prelude::{CubeCount, CubeDim, ElemType};
use burn_cubecl::ops::numeric::empty_device_dtype;
use burn_cubecl::tensor::CubeTensor;

use super::{Against, bounded};
use crate::bank::{BankView, Matrix};
use crate::error::{Error, Result};

/// Threads per workgroup: [`Shape::queries`] × [`Shape::tile`] / [`ROWS_PER_THREAD`].
pub const WORKGROUP_THREADS: usize = 256;

/// Workgroups a call aims for (points × splits): enough to fill a large GPU with a single
/// point, few enough that the partial sums stay small.
pub const TARGET_WORKGROUPS: usize = 1024;

/// Width of the vector loads: keys and values need a multiple of this many columns.
pub const VECTOR: usize = 4;

/// Bank rows each thread scores per tile: their weights are one 4-wide vector in workgroup
/// memory, read at once by every thread in `P · V`.
pub const ROWS_PER_THREAD: usize = 4;

/// Most points each thread scores per tile (each key vector it loads serves all of them).
/// With 16 points per workgroup the weights fill 16 KiB of workgroup memory.
pub const QUERY_BLOCK: usize = 4;

// The kernel's loops over a thread's rows and a vector's numbers are written out for four.
const _: () = assert!(ROWS_PER_THREAD == 4 && VECTOR == 4);

/// How one call divides its work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Points per workgroup (a power of two, at most 16).
    pub queries: usize,
    /// Points each thread scores (with [`ROWS_PER_THREAD`] rows): `min(queries, QUERY_BLOCK)`.
    pub block: usize,
    /// Bank rows per step (`WORKGROUP_THREADS × ROWS_PER_THREAD × block / queries`).
    pub tile: usize,
    /// Shares of the bank, each its own workgroups.
    pub splits: usize,
    /// Rows per share (a multiple of `tile`).
    pub rows_per_split: usize,
}

impl Shape {
    /// For `batch` points against `rows` bank rows with `cols` value columns: the partial sums
    /// of all splits (`splits × batch × cols` f32) stay within one binding ([`MAX_BINDING`]).
    pub fn new(batch: usize, rows: usize, cols: usize) -> Self {
        Self::within(batch, rows, cols, MAX_BINDING)
    }

    /// [`new`](Self::new) with bindings of at most `binding` bytes.
    pub fn within(batch: usize, rows: usize, cols: usize, binding: usize) -> Self {
        let queries = batch.clamp(1, 16).next_power_of_two();
        let block = queries.min(QUERY_BLOCK);
        let tile = WORKGROUP_THREADS * ROWS_PER_THREAD * block / queries;
        let groups = batch.div_ceil(queries).max(1);
        let room = binding / (batch.max(1) * cols.max(1) * 4);
        let max_splits = rows.div_ceil(tile).min(room).max(1);
        let splits = TARGET_WORKGROUPS.div_ceil(groups).clamp(1, max_splits);
        let rows_per_split = rows.div_ceil(splits).next_multiple_of(tile);
        Self {
            queries,
            block,
            tile,
            splits: rows.div_ceil(rows_per_split).max(1),
            rows_per_split,
        }
    }
}

/// The bank's side of the geographic head: its unit vectors `[rows, VECTOR]` in f32 (the
/// fourth column zero), whatever the bank's dtype — at a temperature of 40 an f16 copy would
/// move the weights by ~1%.
pub struct FusedBank {
    xyz: Tensor<2>,
}

impl FusedBank {
    /// From the bank's unit vectors (`rows × 3`, device row order). An error where the values
    /// are not an f32 or f16 device tensor, or their width is not a multiple of [`VECTOR`].
    pub fn new(view: &BankView, xyz: &[f32], device: &Device) -> Result<Self> {
        let widths = match (view.keys, view.values) {
            (Matrix::Device(keys), Matrix::Device(values)) => {
                storage(values.dtype())?;
                (keys.dims()[1], values.dims()[1])
            }
            (Matrix::Tiles(keys), Matrix::Tiles(values)) => match (keys.first(), values.first()) {
                (Some(k), Some(v)) => (k.dims()[1], v.dims()[1]),
                _ => return Err(unsupported()),
            },
            _ => return Err(unsupported()),
        };
        if widths.0 % VECTOR != 0 || widths.1 % VECTOR != 0 {
            return Err(Error::Invalid(format!(
                "fused GPU attention needs key and value widths that are multiples of {VECTOR}, not {} and {}",
                widths.0, widths.1
            )));
        }
        let padded: Vec<f32> = xyz.chunks_exact(3).flat_map(|v| [v[0], v[1], v[2], 0.0]).collect();
        let rows = xyz.len() / 3;
        Ok(Self {
            xyz: Tensor::from_data(TensorData::new(padded, [rows, VECTOR]), (device, DType::F32)),
        })
    }
}

/// Each head's `softmax · V` (`[batch, value_dim]`, f32) over the whole bank, one kernel per
/// head: `heads` holds each head's queries (the normalised encodings for [`Against::Keys`],
/// the points' unit vectors `[batch, 3]` for [`Against::Locations`]), what they are compared
/// with and the temperature. An error if a head's scores are not bounded for this bank (then
/// the stream, which keeps a running maximum, is the way).
pub fn attend_heads(view: &BankView, bank: &FusedBank, heads: &[(Tensor<2>, Against, f32)]) -> Result<Vec<Tensor<2>>> {
    heads
        .iter()
        .map(|(q, against, scale)| {
            if !bounded(*scale, view.rows, view.value_bound) {
                return Err(Error::Invalid(format!(
                    "fused GPU attention: a temperature of {scale} over {} rows with values up to {} could leave f32's range; use the streamed tiles",
                    view.rows, view.value_bound
                )));
            }
            let q = match against {
                Against::Keys => q.clone().mul_scalar(*scale),
                Against::Locations => {
                    let zeros = Tensor::<2>::zeros([q.dims()[0], VECTOR - 3], &q.device());
                    Tensor::cat(vec![q.clone().mul_scalar(*scale), zeros], 1)
                }
            };
            let out = match (against, view.keys, view.values) {
                (Against::Keys, Matrix::Device(k), Matrix::Device(v)) => attend(&q, k, v)?,
                (Against::Locations, _, Matrix::Device(v)) => attend(&q, &bank.xyz, v)?,
                (Against::Keys, Matrix::Tiles(k), Matrix::Tiles(v)) => attend_int8(&q, Some(k), None, v)?,
                (Against::Locations, _, Matrix::Tiles(v)) => attend_int8(&q, None, Some(&bank.xyz), v)?,
                _ => return Err(unsupported()),
            };
            Ok(view.with_value_scale(out))
        })
        .collect()
}

fn unsupported() -> Error {
    Error::Invalid("fused GPU attention takes a bank on a GPU (not the CPU)".into())
}

/// `softmax(q · kᵀ) · v` for one head, in f32: `q` is `[batch, width]` (f32, already times the
/// head's temperature, its scores within [`super::bounded`] range), `keys`
/// `[rows, width]` and `values` `[rows, cols]` in f32 or f16, `width` and `cols` multiples of
/// [`VECTOR`]. An error if the tensors are not on a cubecl device or the shapes do not fit.
pub fn attend(q: &Tensor<2>, keys: &Tensor<2>, values: &Tensor<2>) -> Result<Tensor<2>> {
    attend_within(q, keys, values, MAX_BINDING)
}

/// [`attend`] with every matrix a kernel binds within `binding` bytes (a multiple of 1,024):
/// the bank in chunks of [`chunk_rows`], the points in parts whose results fit, and as many
/// splits as fit (the tests use small bindings to reach all three).
pub fn attend_within(q: &Tensor<2>, keys: &Tensor<2>, values: &Tensor<2>, binding: usize) -> Result<Tensor<2>> {
    let ([batch, width], [rows, kw], [vr, cols]) = (q.dims(), keys.dims(), values.dims());
    if binding == 0 || !binding.is_multiple_of(1024) {
        return Err(Error::Invalid(format!(
            "fused GPU attention: bindings of {binding} bytes (a multiple of 1,024)"
        )));
    }
    if kw != width || vr != rows || width % VECTOR != 0 || cols % VECTOR != 0 || rows == 0 {
        return Err(Error::Invalid(format!(
            "fused GPU attention: queries {batch}×{width}, keys {rows}×{kw}, values {vr}×{cols} (widths must match and be multiples of {VECTOR})"
        )));
    }
    if batch == 0 {
        return Ok(Tensor::zeros([0, cols], &values.device()));
    }
    let most = (binding / (cols.max(width) * 4)).max(1);
    let row_bytes = (width * keys.dtype().size()).max(cols * values.dtype().size());
    let chunk = chunk_rows(row_bytes, binding);
    in_parts(q, most, |q| {
        let batch = q.dims()[0];
        let q = prim(q.clone().cast(DType::F32))?;
        let mut sums = Sums::default();
        for start in (0..rows).step_by(chunk) {
            let len = chunk.min(rows - start);
            let (k, v) = (keys.clone().narrow(0, start, len), values.clone().narrow(0, start, len));
            let shape = Shape::within(batch, len, cols, binding);
            let (k, v) = (KernelMatrix::Float(prim(k)?), KernelMatrix::Float(prim(v)?));
            sums.add(launch(q.clone(), k, v, batch, len, width, cols, shape)?, cols);
        }
        sums.finish()
    })
}

/// [`attend`] for a bank held int8 on the GPU ([`crate::bank::int8_tiles`]): the values' tiles
/// with either the keys' tiles (`int8_keys`) or float keys covering every row (`keys`, the
/// geographic head's unit vectors). Each tile is one launch (4,096 rows; its codes and
/// scales far within a binding); the points go in parts whose results fit in one.
pub fn attend_int8(
    q: &Tensor<2>,
    int8_keys: Option<&[Tensor<2>]>,
    keys: Option<&Tensor<2>>,
    values: &[Tensor<2>],
) -> Result<Tensor<2>> {
    let [batch, width] = q.dims();
    let cols = values.first().map(|v| v.dims()[1]).ok_or_else(unsupported)?;
    if width % VECTOR != 0 || cols % VECTOR != 0 {
        return Err(Error::Invalid(format!(
            "fused GPU attention: widths {width} and {cols} must be multiples of {VECTOR}"
        )));
    }
    if batch == 0 {
        return Ok(Tensor::zeros([0, cols], &q.device()));
    }
    in_parts(q, (MAX_BINDING / (cols * 4)).max(1), |q| {
        let batch = q.dims()[0];
        let q = prim(q.clone().cast(DType::F32))?;
        let mut sums = Sums::default();
        let mut start = 0;
        for (i, tile) in values.iter().enumerate() {
            let len = tile.dims()[0];
            let k = match (int8_keys, keys) {
                (Some(tiles), _) => KernelMatrix::tile(tiles.get(i).ok_or_else(unsupported)?)?,
                (None, Some(k)) => KernelMatrix::Float(prim(k.clone().narrow(0, start, len))?),
                (None, None) => return Err(unsupported()),
            };
            let shape = Shape::new(batch, len, cols);
            sums.add(
                launch(q.clone(), k, KernelMatrix::tile(tile)?, batch, len, width, cols, shape)?,
                cols,
            );
            start += len;
        }
        sums.finish()
    })
}

/// `each` on at most `most` points at a time, the results stacked.
fn in_parts(q: &Tensor<2>, most: usize, each: impl Fn(&Tensor<2>) -> Result<Tensor<2>>) -> Result<Tensor<2>> {
    let batch = q.dims()[0];
    if batch <= most {
        return each(q);
    }
    let parts = (0..batch)
        .step_by(most)
        .map(|start| each(&q.clone().narrow(0, start, most.min(batch - start))))
        .collect::<Result<Vec<_>>>()?;
    Ok(Tensor::cat(parts, 0))
}

/// A head's partial sums `Σ w·v` and `Σ w` over its launches (each with its splits).
#[derive(Default)]
struct Sums {
    weighted: Option<Tensor<2>>,
    weights: Option<Tensor<2>>,
}

impl Sums {
    fn add(&mut self, (weighted, weights): (CubeTensor, CubeTensor), cols: usize) {
        let batch = weights.meta.shape()[1];
        let a = Tensor::<3>::from_primitive::<Cube>(weighted)
            .sum_dim(0)
            .reshape([batch, cols]);
        let s = Tensor::<2>::from_primitive::<Cube>(weights)
            .sum_dim(0)
            .reshape([batch, 1]);
        self.weighted = Some(match self.weighted.take() {
            Some(t) => t.add(a),
            None => a,
        });
        self.weights = Some(match self.weights.take() {
            Some(t) => t.add(s),
            None => s,
        });
    }

    /// `Σ w·v / Σ w`; an error if nothing was added (an empty bank).
    fn finish(self) -> Result<Tensor<2>> {
        match (self.weighted, self.weights) {
            (Some(a), Some(s)) => Ok(a.div(s)),
            _ => Err(Error::Invalid("fused GPU attention over an empty bank".into())),
        }
    }
}

/// The bytes one kernel may bind per matrix: WebGPU guarantees storage bindings of 128 MiB
/// (`maxStorageBufferBindingSize`), so larger banks go in chunks of rows, whose partial sums
/// add up like the splits' (no running maximum to reconcile).
pub const MAX_BINDING: usize = 128 << 20;

/// Rows per chunk for rows of `row_bytes` (the wider of a key row and a value row): within
/// `binding` bytes, and a multiple of 256 rows so that each chunk starts at a 256-byte
/// boundary (WebGPU's storage offset alignment).
pub fn chunk_rows(row_bytes: usize, binding: usize) -> usize {
    ((binding / row_bytes.max(1)) / 256 * 256).max(256)
}

fn prim(t: Tensor<2>) -> Result<CubeTensor> {
    t.try_into_primitive::<Cube>()
        .map_err(|e| Error::backend("fused GPU attention needs a cubecl device", e))
}

/// A bank matrix as the kernel reads it: f32/f16 rows, or int8 codes four to a `u32` with
/// one f32 scale per row (burn's quantised tiles, [`crate::bank::int8_tiles`]: each block of a row
/// carries the row's scale, so the first block's is read).
// One per bank matrix; both variants hold cubecl tensors, so neither is small.
#[allow(clippy::large_enum_variant)]
enum KernelMatrix {
    Float(CubeTensor),
    Int8 {
        codes: CubeTensor,
        scales: CubeTensor,
        stride: usize,
    },
}

impl KernelMatrix {
    fn int8(&self) -> bool {
        matches!(self, KernelMatrix::Int8 { .. })
    }

    fn dtype(&self) -> Result<ElemType> {
        match self {
            KernelMatrix::Float(t) => storage(t.dtype),
            KernelMatrix::Int8 { .. } => Ok(burn::backend::cubecl::dtype_to_storage_type(DType::U32)),
        }
    }

    /// The rows' tensor, its row-scales tensor (a one-element stand-in for floats) and the
    /// scales' row stride.
    fn parts(self, dummy: &CubeTensor) -> (CubeTensor, CubeTensor, usize) {
        match self {
            KernelMatrix::Float(t) => (t, dummy.clone(), 0),
            KernelMatrix::Int8 { codes, scales, stride } => (codes, scales, stride),
        }
    }

    /// One tile of a bank held in tiles ([`crate::bank::Matrices::DeviceTiles`]): f32 rows,
    /// or an int8 tile of burn's, its codes and scales.
    fn tile(t: &Tensor<2>) -> Result<Self> {
        use burn::backend::{BackendTensor, DispatchTensorKind};
        let fail = || Error::Backend("fused GPU attention: a bank tile is not a cubecl tensor".into());
        let q = match t.clone().into_dispatch().kind {
            DispatchTensorKind::Cube(BackendTensor::Quantized(q)) => q,
            DispatchTensorKind::Cube(BackendTensor::Float(f)) => return Ok(KernelMatrix::Float(f)),
            _ => return Err(fail()),
        };
        let (codes, scales) = q.quantized_handles().ok_or_else(fail)?;
        let stride = scales.meta.shape().iter().skip(1).product::<usize>().max(1);
        Ok(KernelMatrix::Int8 { codes, scales, stride })
    }
}

#[allow(clippy::too_many_arguments)]
fn launch(
    q: CubeTensor,
    k: KernelMatrix,
    v: KernelMatrix,
    batch: usize,
    rows: usize,
    width: usize,
    cols: usize,
    shape: Shape,
) -> Result<(CubeTensor, CubeTensor)> {
    let (client, device) = (q.client.clone(), q.device.clone());
    let acc = empty_device_dtype(
        client.clone(),
        device.clone(),
        [shape.splits, batch, cols].into(),
        DType::F32,
    );
    let sums = empty_device_dtype(client.clone(), device.clone(), [shape.splits, batch].into(), DType::F32);
    let dummy = empty_device_dtype(client.clone(), device, [1].into(), DType::F32);
    let dtypes = [k.dtype()?, v.dtype()?];
    let (k8, v8) = (k.int8(), v.int8());
    let ((k, ks, k_stride), (v, vs, v_stride)) = (k.parts(&dummy), v.parts(&dummy));
    let count = CubeCount::Static(batch.div_ceil(shape.queries) as u32, shape.splits as u32, 1);
    let dim = CubeDim::new_1d(WORKGROUP_THREADS as u32);
    let address = [&q, &k, &v, &ks, &vs, &acc, &sums]
        .iter()
        .map(|t| t.required_address_type())
        .max()
        .unwrap_or_default();
    // Vectors of 4 numbers; an int8 matrix is read one u32 (4 codes) at a time.
    let lanes = |int8: bool| if int8 { 1 } else { VECTOR };
    kernel::head_kernel::launch(
        &client,
        count,
        dim,
        address,
        VECTOR,
        lanes(k8),
        lanes(v8),
        q.into_tensor_arg(),
        k.into_tensor_arg(),
        v.into_tensor_arg(),
        ks.into_tensor_arg(),
        vs.into_tensor_arg(),
        acc.clone().into_tensor_arg(),
        sums.clone().into_tensor_arg(),
        batch,
        rows,
        shape.rows_per_split,
        k_stride,
        v_stride,
        width / VECTOR,
        cols / VECTOR,
        shape.queries,
        shape.block,
        shape.tile,
        k8,
        v8,
        dtypes,
    );
    Ok((acc, sums))
}

fn storage(dtype: DType) -> Result<ElemType> {
    match dtype {
        DType::F32 | DType::F16 => Ok(burn::backend::cubecl::dtype_to_storage_type(dtype)),
        other => Err(Error::Invalid(format!(
            "fused GPU attention reads f32 or f16 banks, not {other:?}"
        ))),
    }
}

mod kernel {
    use super::cubecl;
    use burn_cubecl::cubecl::prelude::*;

    /// The kernel: see the module's documentation. Indices of vectors (of `u32`s for int8
    /// matrices, four codes each), not of elements. `k_scales`/`v_scales` hold each int8 row's
    /// scale every `*_stride` numbers (unread for float matrices). Each thread scores `block`
    /// points against four consecutive rows; each workgroup-memory vector holds one point's
    /// weights of four rows. Rows past the end are read as the last row with weight zero, and
    /// points past the batch as the last point (their results unwritten): no branch in the
    /// loops.
    #[cube(launch, address_type = "dynamic")]
    #[allow(clippy::too_many_arguments)]
    pub fn head_kernel<K: Numeric, V: Numeric, N: Size, NK: Size, NV: Size>(
        q: &Tensor<Vector<f32, N>>,
        k: &Tensor<Vector<K, NK>>,
        v: &Tensor<Vector<V, NV>>,
        k_scales: &Tensor<f32>,
        v_scales: &Tensor<f32>,
        acc_out: &mut Tensor<Vector<f32, N>>,
        sum_out: &mut Tensor<f32>,
        batch: usize,
        rows: usize,
        rows_per_split: usize,
        k_stride: usize,
        v_stride: usize,
        #[comptime] width: usize,
        #[comptime] cols: usize,
        #[comptime] queries: usize,
        #[comptime] block: usize,
        #[comptime] tile: usize,
        #[comptime] int8_keys: bool,
        #[comptime] int8_values: bool,
        #[define(K, V)] _dtypes: [ElemType; 2],
    ) {
        // Weight vectors per point and tile; the workgroup has `queries / block × steps`
        // threads, each scoring `block` points against 4 rows.
        let steps = comptime!(tile / 4);
        let threads = comptime!(queries / block * steps);
        let groups = comptime!(cols.div_ceil(threads));
        let unit = UNIT_POS as usize;
        let (qb, rj) = (unit / steps, unit % steps);
        let first = CUBE_POS_X as usize * queries;
        let split = CUBE_POS_Y as usize;
        let start = split * rows_per_split;
        let mut end = start + rows_per_split;
        if end > rows {
            end = rows;
        }
        let last = end - 1;
        let mine = first + qb * block;

        let mut weights = Shared::<[Vector<f32, N>]>::new_slice(comptime!(queries * steps));
        let mut acc = Array::<Vector<f32, N>>::new(comptime!(queries * groups));
        #[unroll]
        for i in 0..comptime!(queries * groups) {
            acc[i] = Vector::<f32, N>::empty().fill(0.0);
        }
        let mut partial = Array::<f32>::new(block);
        #[unroll]
        for a in 0..block {
            partial[a] = 0.0;
        }

        let mut r0 = start;
        while r0 < end {
            let base = r0 + 4 * rj;
            let mut w4 = Array::<Vector<f32, N>>::new(block);
            #[unroll]
            for a in 0..block {
                w4[a] = Vector::<f32, N>::empty().fill(0.0);
            }
            if base < end && mine < batch {
                let mut dots = Array::<Vector<f32, N>>::new(comptime!(block * 4));
                #[unroll]
                for d in 0..comptime!(block * 4) {
                    dots[d] = Vector::<f32, N>::empty().fill(0.0);
                }
                for j in 0..width {
                    let mut ks = Array::<Vector<f32, N>>::new(4usize);
                    four_rows::<K, N, NK>(k, base, last, width, j, int8_keys, &mut ks);
                    #[unroll]
                    for a in 0..block {
                        let x = q[clamp_row(mine + a, batch - 1) * width + j];
                        #[unroll]
                        for c in 0..4usize {
                            dots[a * 4 + c] += x * ks[c];
                        }
                    }
                }
                #[unroll]
                for c in 0..4usize {
                    let row = clamp_row(base + c, last);
                    let mut kscale = 1.0f32;
                    if int8_keys {
                        kscale = k_scales[row * k_stride];
                    }
                    // An int8 row's scale joins its weight (`w · s · codes`); the sums take `w`.
                    let mut vscale = 1.0f32;
                    if int8_values {
                        vscale = v_scales[row * v_stride];
                    }
                    #[unroll]
                    for a in 0..block {
                        let mut w = 0.0f32;
                        if base + c < end && mine + a < batch {
                            w = (Vector::vector_sum(dots[a * 4 + c]) * kscale).exp();
                        }
                        partial[a] += w;
                        let mut wa = w4[a];
                        wa.insert(c, w * vscale);
                        w4[a] = wa;
                    }
                }
            }
            #[unroll]
            for a in 0..block {
                weights[(qb * block + a) * steps + rj] = w4[a];
            }
            sync_cube();

            let mut len = end - r0;
            if len > tile {
                len = tile;
            }
            for s in 0..len.div_ceil(4) {
                let rs = r0 + 4 * s;
                #[unroll]
                for g in 0..groups {
                    let col = unit + g * threads;
                    if col < cols {
                        let mut xs = Array::<Vector<f32, N>>::new(4usize);
                        four_rows::<V, N, NV>(v, rs, last, cols, col, int8_values, &mut xs);
                        #[unroll]
                        for i in 0..queries {
                            let w = weights[i * steps + s];
                            acc[i * groups + g] += Vector::new(w.extract(0usize)) * xs[0]
                                + Vector::new(w.extract(1usize)) * xs[1]
                                + Vector::new(w.extract(2usize)) * xs[2]
                                + Vector::new(w.extract(3usize)) * xs[3];
                        }
                    }
                }
            }
            sync_cube();
            r0 += tile;
        }

        #[unroll]
        for g in 0..groups {
            let col = unit + g * threads;
            if col < cols {
                #[unroll]
                for i in 0..queries {
                    let p = first + i;
                    if p < batch {
                        acc_out[(split * batch + p) * cols + col] = acc[i * groups + g];
                    }
                }
            }
        }

        #[unroll]
        for a in 0..block {
            weights[(qb * block + a) * steps + rj] = Vector::new(partial[a]);
        }
        sync_cube();
        if rj == 0 {
            #[unroll]
            for a in 0..block {
                let point = mine + a;
                if point < batch {
                    let mut total = 0.0f32;
                    for j in 0..steps {
                        total += weights[(qb * block + a) * steps + j].extract(0usize);
                    }
                    sum_out[split * batch + point] = total;
                }
            }
        }
    }

    /// `row`, or `last` past it: rows past the end are read as the last one (weight zero).
    /// Element `at` of rows `first .. first + 4` of a matrix whose rows are `stride`
    /// elements apart, widened to f32 into `out`; rows past `last` read as row `last` (their
    /// weights are zero).
    #[cube]
    fn four_rows<E: Numeric, N: Size, NE: Size>(
        m: &Tensor<Vector<E, NE>>,
        first: usize,
        last: usize,
        stride: usize,
        at: usize,
        #[comptime] int8: bool,
        out: &mut Array<Vector<f32, N>>,
    ) {
        #[unroll]
        for c in 0..4usize {
            out[c] = widen::<E, N, NE>(m[clamp_row(first + c, last) * stride + at], int8);
        }
    }

    #[cube]
    fn clamp_row(row: usize, last: usize) -> usize {
        let mut r = row;
        if r > last {
            r = last;
        }
        r
    }

    /// Four numbers as f32: a float vector widened, or a `u32` of four int8 codes (the first
    /// in the lowest byte) unpacked and sign-extended.
    #[cube]
    fn widen<E: Numeric, N: Size, NE: Size>(x: Vector<E, NE>, #[comptime] int8: bool) -> Vector<f32, N> {
        let mut out = Vector::<f32, N>::empty().fill(0.0);
        if int8 {
            let word = u32::cast_from(x);
            #[unroll]
            for i in 0..4usize {
                let byte = (word >> (8 * i as u32)) & 255u32;
                out.insert(i, f32::cast_from(byte) - 256.0 * f32::cast_from(byte >> 7u32));
            }
        } else {
            out = Vector::<f32, N>::cast_from(x);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Numbers in [−1, 1) from a seeded linear congruential generator.
    fn noise(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    /// The kernel alone ([`attend_within`]) against a softmax in f64 on the host,
    /// at the shapes where its bookkeeping can go wrong: one point and batches that are not a
    /// multiple of a workgroup's points; banks of one row, of fewer rows than a tile and of a
    /// partial last split; values wider than one pass of the workgroup's threads (2,048 columns)
    /// and narrower (4, 276); keys of 4 and 256 columns; keys and values in f16; bindings small
    /// enough that the bank goes in chunks of rows, the points in parts and the splits are fewer
    /// (as banks and batches beyond WebGPU's 128 MiB bindings do). Relative error
    /// ≤ 1e-5 of the largest output (f32 keys and values), ≤ 1e-5 against the same f16 numbers
    /// read as f32.
    #[test]
    fn the_kernel_matches_a_host_softmax() {
        // A GPU test needs an adapter, as tests/gpu.rs's do (lavapipe in CI).
        let (device, _) = crate::backend::Backend::Wgpu
            .device()
            .expect("a wgpu adapter (install mesa-vulkan-drivers for lavapipe)");
        // (points, bank rows, key width, value width, binding bytes): 128 MiB, as in use, or small
        // enough that the bank goes in chunks of 256 rows, the points in parts, and fewer splits.
        let mib = MAX_BINDING;
        let cases = [
            (1, 1, 4, 4, mib),
            // Bank ends inside a thread's four rows (each row weighs here), and a last
            // workgroup of 3 points (a thread's block of points partly past the batch).
            (2, 7, 8, 12, mib),
            (19, 1003, 64, 256, mib),
            (1, 1000, 256, 1024, mib),
            (3, 255, 16, 276, mib),
            (17, 700, 256, 2048, 256 * 8192),
            (40, 2100, 4, 64, 64 * 1024),
            (50, 600, 256, 1024, 16 * 4096),
        ];
        for (batch, rows, width, cols, binding) in cases {
            for dtype in [DType::F32, DType::F16] {
                if dtype == DType::F16 && !device.supports_dtype(DType::F16) {
                    continue;
                }
                let stored = |n: usize, seed: u64, amp: f32| -> Vec<f32> {
                    let raw: Vec<f32> = noise(n, seed).into_iter().map(|x| amp * x).collect();
                    if dtype == DType::F16 {
                        raw.iter().map(|x| half::f16::from_f32(*x).to_f32()).collect()
                    } else {
                        raw
                    }
                };
                // Scores within ±15, like RANGE's semantic head.
                let q: Vec<f32> = noise(batch * width, 1)
                    .iter()
                    .map(|x| x * 15.0 / (width as f32).sqrt())
                    .collect();
                let k = stored(rows * width, 2, 1.0);
                let v = stored(rows * cols, 3, 3.0);
                let t = |data: &[f32], shape: [usize; 2], dt: DType| {
                    Tensor::<2>::from_data(TensorData::new(data.to_vec(), shape), (&device, dt))
                };
                let got = attend_within(
                    &t(&q, [batch, width], DType::F32),
                    &t(&k, [rows, width], dtype),
                    &t(&v, [rows, cols], dtype),
                    binding,
                )
                .unwrap();
                assert_eq!(got.dims(), [batch, cols]);
                let got: Vec<f32> = got.into_data().convert::<f32>().try_into_vec::<f32>().unwrap();
                let mut worst = 0.0f64;
                for b in 0..batch {
                    let w: Vec<f64> = (0..rows)
                        .map(|r| {
                            let s: f64 = (0..width)
                                .map(|j| q[b * width + j] as f64 * k[r * width + j] as f64)
                                .sum();
                            s.exp()
                        })
                        .collect();
                    let total: f64 = w.iter().sum();
                    let want: Vec<f64> = (0..cols)
                        .map(|c| (0..rows).map(|r| w[r] * v[r * cols + c] as f64).sum::<f64>() / total)
                        .collect();
                    let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs())).max(1e-30);
                    for c in 0..cols {
                        worst = worst.max((got[b * cols + c] as f64 - want[c]).abs() / scale);
                    }
                }
                eprintln!(
                    "fused kernel, batch {batch}, {rows}×{width} keys, {cols} values, binding {binding}, {dtype:?}: {worst:.2e}"
                );
                assert!(
                    worst <= 1e-5,
                    "batch {batch} rows {rows} cols {cols} {dtype:?}: {worst:.2e}"
                );
            }
        }
        // Shapes it cannot take are errors, not panics.
        let t = |shape: [usize; 2]| Tensor::<2>::zeros(shape, &device);
        for (q, k, v) in [
            ([2, 6], [10, 6], [10, 8]),
            ([2, 8], [10, 4], [10, 8]),
            ([2, 4], [10, 4], [9, 8]),
        ] {
            assert!(attend(&t(q), &t(k), &t(v)).is_err());
        }
        assert!(attend_within(&t([2, 4]), &t([10, 4]), &t([10, 8]), 1000).is_err());
        // 128 MiB of 1,024 f32 values per row: chunks of 32,768 rows.
        assert_eq!(chunk_rows(4096, mib), 32_768);
    }

    /// Every bank row falls in exactly one split, splits are whole tiles, and one point
    /// spreads over many workgroups while large batches get one split.
    #[test]
    fn shapes_cover_the_bank_once() {
        for batch in [1, 2, 3, 16, 17, 300, 10_000, 32_768] {
            for rows in [1, 255, 256, 257, 5_000, 100_000, 1_000_000] {
                let s = Shape::new(batch, rows, 1024);
                assert_eq!(s.queries * s.tile, WORKGROUP_THREADS * ROWS_PER_THREAD * s.block);
                assert!(s.queries >= batch.min(16) && s.queries.is_power_of_two());
                assert_eq!(s.rows_per_split % s.tile, 0);
                assert!(s.splits * s.rows_per_split >= rows, "{batch} {rows} {s:?}");
                assert!((s.splits - 1) * s.rows_per_split < rows, "{batch} {rows} {s:?}");
                assert!(s.splits <= TARGET_WORKGROUPS);
                // The kernel's weights (a 4-wide f32 vector per point and four rows) within the
                // 16 KiB of workgroup memory WebGPU guarantees.
                let bytes = s.queries * s.tile / ROWS_PER_THREAD * VECTOR * 4;
                assert!(bytes <= 16 * 1024, "{batch} {rows} {s:?}: {bytes} bytes");
                assert!(
                    s.splits == 1 || s.splits * batch * 1024 * 4 <= MAX_BINDING,
                    "{batch} {rows} {s:?}"
                );
            }
        }
        assert_eq!(Shape::new(1, 100_000, 1024).splits, 98);
        assert_eq!(Shape::new(10_000, 100_000, 1024).splits, 2);
        assert_eq!(Shape::new(16_384, 100_000, 1024).splits, 1);
        // Wide values leave room for fewer splits.
        assert_eq!(Shape::new(10_000, 100_000, 4096).splits, 1);
    }

    #[test]
    fn chunks_stay_within_a_binding_and_aligned() {
        for row_bytes in [16, 512, 552, 2048, 4096, 1 << 20] {
            let c = chunk_rows(row_bytes, MAX_BINDING);
            assert_eq!(c % 256, 0);
            assert!(c * row_bytes <= MAX_BINDING || c == 256, "{row_bytes}: {c}");
        }
    }
}
