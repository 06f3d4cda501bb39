//! A bank on its device: keys, values and unit vectors in spatial order, held as f32, f16 or
//! int8 tiles on a GPU, or as the file's own rows on the CPU.

use std::borrow::Cow;

use burn::tensor::{DType, Device, Int, Tensor, TensorData};

use super::int8_tiles;
use super::spatial::SpatialOrder;
use super::{Bank, BankView, HostBank, Matrix};
use crate::backend::matrix_on_device;
use crate::error::{Error, Result};
use crate::format::Rows;
use crate::geo::unit_vector;

/// Where a [`DeviceBank`]'s keys and values live.
// A bank holds one; burn's device tensors make its GPU variants large, and boxing them would
// only add a pointer to follow.
#[allow(clippy::large_enum_variant)]
pub enum Matrices {
    /// f32 (or f16) tensors on a GPU.
    Device { keys: Tensor<2>, values: Tensor<2> },
    /// Tensors of [`int8_tiles::TILE_ROWS`] rows on a GPU: int8 codes and row scales (burn's
    /// quantised tensors: the bank held in int8), or f32 or f16 (a bank past the GPU's largest
    /// buffer, [`f32_too_large`]).
    DeviceTiles {
        keys: Vec<Tensor<2>>,
        values: Vec<Tensor<2>>,
    },
    /// Host rows in the file's precision (the CPU): read directly by [`crate::attention::cpu`], and
    /// dequantised a tile at a time for the batched path.
    Host { keys: Rows, values: Rows },
}

/// Whether the keys or values in f32 would exceed `limit`, the largest buffer of the device,
/// where a GPU reads them wrongly (silently, measured on lavapipe past 128 MiB). Such a bank is
/// held in tiles of [`int8_tiles::TILE_ROWS`] rows instead: int8 rows as int8, f32 (or f16) rows as f32
/// (and in f16 tile by tile where f16 is asked for, [`DeviceBank::set_precision`]).
fn f32_too_large(rows: usize, widest: usize, limit: Option<usize>) -> bool {
    limit.is_some_and(|limit| rows * widest * 4 > limit)
}

/// Rows as f32 device tensors of at most `step` rows each.
fn f32_pieces(rows: &Rows, step: usize, device: &Device) -> impl Iterator<Item = (usize, Tensor<2>)> {
    let (n, cols, step) = (rows.rows(), rows.cols(), step.max(1));
    (0..n).step_by(step).map(move |start| {
        let len = step.min(n - start);
        (
            start,
            matrix_on_device(rows.tile(start, len), [len, cols], device, DType::F32),
        )
    })
}

/// Whether a device tile holds int8 codes (one of burn's quantised tensors).
fn is_int8(t: &Tensor<2>) -> bool {
    matches!(t.dtype(), DType::QFloat(_))
}

/// A device matrix (f32, f16 or int8) in `dtype`, its numbers times `factor`.
fn converted(t: Tensor<2>, (dtype, factor): (DType, f32)) -> Tensor<2> {
    if t.dtype() == dtype && factor == 1.0 {
        return t;
    }
    let t = t.dequantize().cast(DType::F32);
    let t = if factor == 1.0 { t } else { t.mul_scalar(factor) };
    t.cast(dtype)
}

fn int8_at_build() -> Error {
    Error::Invalid("an int8 bank on the GPU is chosen when the model is built (Model::with_gpu_precision)".into())
}

/// Host memory one upload step may take: [`f32_on_device`] converts this much at a time.
const UPLOAD_BYTES: usize = 16 << 20;

/// Rows as an f32 device matrix. f32 rows go as they are; int8 rows, in `parts` (where the
/// device's buffer limit is known), are converted and written into the device matrix a few
/// thousand at a time, so the host never holds an f32 copy of the whole matrix (four times
/// the codes; in a browser, whose heap never shrinks, for good).
fn f32_on_device(rows: Rows, device: &Device, parts: bool) -> Tensor<2> {
    let (n, cols) = (rows.rows(), rows.cols());
    if matches!(rows, Rows::F32 { .. }) || n * cols * 4 <= UPLOAD_BYTES || !parts {
        return matrix_on_device(rows.into_f32(), [n, cols], device, DType::F32);
    }
    let step = UPLOAD_BYTES / (4 * cols.max(1));
    f32_pieces(&rows, step, device).fold(Tensor::empty([n, cols], (device, DType::F32)), |m, (start, piece)| {
        let len = piece.dims()[0];
        m.slice_assign([start..start + len, 0..cols], piece)
    })
}

/// A bank on its device: keys `[N, key_dim]`, values `[N, value_dim]` and the unit vectors
/// of the locations `[N, 3]`, with rows in [`SpatialOrder`] (device row `i` is bank row
/// `spatial.order[i]`), so that nearby rows are contiguous. On a GPU everything is f32; on
/// the CPU the keys and values stay as the file stored them ([`Matrices::Host`]).
pub struct DeviceBank {
    pub matrices: Matrices,
    pub xyz: Tensor<2>,
    /// The same unit vectors on the host, `N × 3` (what [`crate::attention::cpu`] reads).
    pub xyz_host: Vec<f32>,
    pub rows: usize,
    pub key_dim: usize,
    pub value_dim: usize,
    /// Host copy of the locations in the bank's own row order, for explaining results.
    pub locs: Vec<f32>,
    pub spatial: SpatialOrder,
    /// For each bank row, its device row: turns device-ordered weights back into bank order.
    pub device_row: Tensor<1, Int>,
    pub device: Device,
    /// The largest |value|: bounds the attention sums (`attention::bounded`).
    pub value_bound: f32,
    /// What the device values must be multiplied by (1, or `value_bound` in f16).
    pub value_scale: f32,
}

/// How a bank's keys and values are held on a GPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum GpuPrecision {
    /// f32: the reference's arithmetic (exact within f32 rounding). The default.
    #[default]
    F32,
    /// f16 keys and values: half the memory, the GPU's fast matrix units, ≤ 2e-3 relative error.
    ///
    /// Values are divided by the bank's largest |value|; products are f16, softmax sums f32.
    /// The unit vectors of the geographic head stay f32.
    F16,
    /// int8 keys and values with one f32 scale per row, dequantised inside the GPU's matmul
    /// kernels: a quarter of f32's memory. An int8 bank file keeps its own numbers (the result
    /// is that of the file, as on the CPU); an f32 or f16 file is quantised per row. Chosen when
    /// the model is built ([`crate::Model::with_gpu_precision`]).
    Int8,
}

impl GpuPrecision {
    /// Parses `f32`, `f16` or `int8`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "f32" => Ok(GpuPrecision::F32),
            "f16" => Ok(GpuPrecision::F16),
            "int8" => Ok(GpuPrecision::Int8),
            other => Err(Error::Invalid(format!(
                "unknown GPU precision {other:?} (expected f32, f16 or int8)"
            ))),
        }
    }
}

impl DeviceBank {
    /// Uploads `bank` to `device` (on the CPU: keeps it on the host in its stored precision).
    pub fn new(bank: &Bank, device: &Device) -> Result<Self> {
        Self::build(Cow::Borrowed(bank), device, false)
    }

    /// [`new`](Self::new), reordering the bank's own rows in place instead of copying them:
    /// a load holds its rows once.
    pub fn from_owned(bank: Bank, device: &Device) -> Result<Self> {
        Self::build(Cow::Owned(bank), device, false)
    }

    /// [`new`](Self::new), holding the keys and values on a GPU in `precision`. int8 is built
    /// from the host bank here (its codes are the file's); f16 is converted on the device.
    pub fn with_precision(bank: &Bank, device: &Device, precision: GpuPrecision) -> Result<Self> {
        if *device == Device::flex() && precision != GpuPrecision::F32 {
            return Err(on_the_cpu());
        }
        let mut built = Self::build(Cow::Borrowed(bank), device, precision == GpuPrecision::Int8)?;
        if precision == GpuPrecision::F16 {
            built.set_precision(precision)?;
        }
        Ok(built)
    }

    fn build(bank: Cow<Bank>, device: &Device, int8: bool) -> Result<Self> {
        let n = bank.rows();
        let spatial = SpatialOrder::new(&bank.locs);
        let xyz_host: Vec<f32> = spatial
            .order
            .iter()
            .flat_map(|&r| unit_vector(bank.locs[2 * r] as f64, bank.locs[2 * r + 1] as f64).map(|v| v as f32))
            .collect();
        let mut device_row = vec![0i64; n];
        for (pos, &r) in spatial.order.iter().enumerate() {
            device_row[r] = pos as i64;
        }
        let (key_dim, value_dim, value_bound) = (bank.key_dim, bank.value_dim, bank.values.max_abs());
        let (locs, keys, values) = match bank {
            Cow::Borrowed(b) => (
                b.locs.clone(),
                b.keys.permuted(&spatial.order),
                b.values.permuted(&spatial.order),
            ),
            Cow::Owned(b) => (
                b.locs,
                b.keys.into_permuted(&spatial.order),
                b.values.into_permuted(&spatial.order),
            ),
        };
        let limit = crate::backend::max_buffer_bytes(device);
        let matrices = if *device == Device::flex() {
            Matrices::Host { keys, values }
        } else if int8 {
            Matrices::DeviceTiles {
                keys: int8_tiles::tiles(&keys.into_int8(), device)?,
                values: int8_tiles::tiles(&values.into_int8(), device)?,
            }
        } else if f32_too_large(n, key_dim.max(value_dim), limit) {
            // An int8 bank stays int8: its own numbers, a quarter of the memory.
            let tiles = |rows: Rows| match rows {
                Rows::Int8 { .. } => int8_tiles::tiles(&rows, device),
                Rows::F32 { .. } => Ok(f32_pieces(&rows, int8_tiles::TILE_ROWS, device)
                    .map(|(_, t)| t)
                    .collect()),
            };
            Matrices::DeviceTiles {
                keys: tiles(keys)?,
                values: tiles(values)?,
            }
        } else {
            Matrices::Device {
                keys: f32_on_device(keys, device, limit.is_some()),
                values: f32_on_device(values, device, limit.is_some()),
            }
        };
        Ok(Self {
            matrices,
            xyz: matrix_on_device(xyz_host.clone(), [n, 3], device, DType::F32),
            xyz_host,
            rows: n,
            key_dim,
            value_dim,
            locs,
            spatial,
            device_row: Tensor::from_data(TensorData::new(device_row, [n]), device),
            device: device.clone(),
            value_bound,
            value_scale: 1.0,
        })
    }

    /// Holds the keys and values on the GPU in f32 or f16 (converted there), whole or, past
    /// the GPU's largest buffer, in tiles of [`int8_tiles::TILE_ROWS`] rows (as [`build`](Self::build)
    /// decides). int8 must be chosen when the bank is built
    /// ([`with_precision`](Self::with_precision)): its codes come from the host rows. The CPU
    /// keeps the rows as the bank file stored them, so it refuses; so does a GPU without f16.
    pub fn set_precision(&mut self, precision: GpuPrecision) -> Result<()> {
        let (dtype, scale) = match precision {
            GpuPrecision::F32 => (DType::F32, 1.0),
            GpuPrecision::F16 => (DType::F16, self.value_bound.max(f32::MIN_POSITIVE)),
            GpuPrecision::Int8 => {
                return match &self.matrices {
                    Matrices::DeviceTiles { values, .. } if values.first().is_some_and(is_int8) => Ok(()),
                    _ => Err(int8_at_build()),
                };
            }
        };
        if matches!(self.matrices, Matrices::Host { .. }) {
            return Err(on_the_cpu());
        }
        if !self.device.supports_dtype(dtype) {
            return Err(Error::Unavailable(format!("this GPU has no {dtype:?} arithmetic")));
        }
        // Values go back to the stored numbers, then into the new scale.
        let (keys_to, values_to) = ((dtype, 1.0), (dtype, self.value_scale / scale));
        let whole = !f32_too_large(
            self.rows,
            self.key_dim.max(self.value_dim),
            crate::backend::max_buffer_bytes(&self.device),
        );
        let placeholder = Matrices::Host {
            keys: Rows::default(),
            values: Rows::default(),
        };
        self.matrices = match std::mem::replace(&mut self.matrices, placeholder) {
            Matrices::Device { keys, values } => Matrices::Device {
                keys: converted(keys, keys_to),
                values: converted(values, values_to),
            },
            Matrices::DeviceTiles { keys, values } if whole => Matrices::Device {
                keys: converted(int8_tiles::dequantized(&keys), keys_to),
                values: converted(int8_tiles::dequantized(&values), values_to),
            },
            Matrices::DeviceTiles { keys, values } => Matrices::DeviceTiles {
                keys: keys.into_iter().map(|t| converted(t, keys_to)).collect(),
                values: values.into_iter().map(|t| converted(t, values_to)).collect(),
            },
            host @ Matrices::Host { .. } => host,
        };
        self.value_scale = scale;
        Ok(())
    }

    /// The rows of every streamed tile when they are fixed by how the bank is held (in tiles on
    /// a GPU: [`int8_tiles::TILE_ROWS`]), whatever the batch.
    pub fn fixed_tile(&self) -> Option<usize> {
        matches!(self.matrices, Matrices::DeviceTiles { .. }).then_some(int8_tiles::TILE_ROWS)
    }

    /// The bank as [`crate::attention::cpu`] reads it, when its rows are on the host (the CPU).
    pub fn host(&self) -> Option<HostBank<'_>> {
        match &self.matrices {
            Matrices::Host { keys, values } => Some(HostBank {
                keys,
                values,
                xyz: &self.xyz_host,
            }),
            Matrices::Device { .. } | Matrices::DeviceTiles { .. } => None,
        }
    }

    /// The bank as [`crate::attention::stream`] streams it.
    pub fn view(&self) -> BankView<'_> {
        let (keys, values) = match &self.matrices {
            Matrices::Device { keys, values } => (Matrix::Device(keys), Matrix::Device(values)),
            Matrices::DeviceTiles { keys, values } => (Matrix::Tiles(keys), Matrix::Tiles(values)),
            Matrices::Host { keys, values } => (Matrix::Host(keys, &self.device), Matrix::Host(values, &self.device)),
        };
        BankView {
            keys,
            xyz: Matrix::Device(&self.xyz),
            values,
            rows: self.rows,
            value_bound: self.value_bound,
            value_scale: self.value_scale,
        }
    }
}

fn on_the_cpu() -> Error {
    Error::Invalid(
        "the GPU precision applies to a bank on a GPU; the CPU reads the bank in the precision its file stores".into(),
    )
}
