//! The retrieval bank: N rows of (location, key, value). Keys are L2-normalised when the
//! bank is built; values may have any width.

use std::borrow::Cow;

use burn::tensor::{DType, Device, Int, Tensor, TensorData};

use crate::attention::{BankView, Matrix};
use crate::compact::Rows;
use crate::error::{Error, Result};
use crate::format::{BANK_FORMAT, Cut, FileReader, FileWriter, Seal, StorageDtype, finite_rows};
use crate::fused::HostBank;
use crate::geo::unit_vector;
use crate::quantized;
use crate::spatial::SpatialOrder;
use crate::weights::matrix_on_device;

/// A bank on the host.
#[derive(Clone, Debug, PartialEq)]
pub struct Bank {
    /// `rows × 2`: longitude, latitude in degrees.
    pub locs: Vec<f32>,
    /// `rows × key_dim`, unit rows, in the precision the file stored them (int8 codes and row
    /// scales as they are; f16 as f32).
    pub keys: Rows,
    /// `rows × value_dim`, likewise.
    pub values: Rows,
    pub key_dim: usize,
    pub value_dim: usize,
    /// [`crate::Encoder::id`] of the encoder whose space the keys live in.
    pub encoder_id: String,
    /// The precision the keys and values were stored in (f32 for a bank built in memory):
    /// on the CPU the bank stays in it ([`DeviceBank`]).
    pub precision: StorageDtype,
}

impl Bank {
    /// Builds a bank, normalising the keys and checking every value.
    pub fn new(
        locs: Vec<f32>,
        keys: Vec<f32>,
        values: Vec<f32>,
        key_dim: usize,
        value_dim: usize,
        encoder_id: &str,
    ) -> Result<Self> {
        let rows = locs.len() / 2;
        if key_dim == 0
            || value_dim == 0
            || keys.len() != rows * key_dim
            || values.len() != rows * value_dim
            || locs.len() != rows * 2
        {
            return Err(Error::Mismatch(format!(
                "bank parts disagree: {} locations, {} key values (width {key_dim}), {} values (width {value_dim})",
                locs.len() / 2,
                keys.len(),
                values.len()
            )));
        }
        let keys = Rows::F32 {
            data: keys,
            cols: key_dim,
        };
        let values = Rows::F32 {
            data: values,
            cols: value_dim,
        };
        Self::from_rows(locs, keys, values, encoder_id, StorageDtype::F32)
    }

    /// [`new`](Self::new) from rows kept in the precision `precision` they were stored in.
    fn from_rows(
        locs: Vec<f32>,
        mut keys: Rows,
        values: Rows,
        encoder_id: &str,
        precision: StorageDtype,
    ) -> Result<Self> {
        let rows = locs.len() / 2;
        if rows == 0 {
            return Err(Error::Invalid("a bank needs at least one row".into()));
        }
        if keys.rows() != rows || values.rows() != rows {
            return Err(Error::Mismatch(format!(
                "bank parts disagree: {} locations, {} key rows, {} value rows",
                locs.len() / 2,
                keys.rows(),
                values.rows()
            )));
        }
        if let Some(i) = locs.iter().position(|v| !v.is_finite()) {
            return Err(Error::format(
                "bank",
                format!("locations: row {} holds a non-finite value", i / 2),
            ));
        }
        for (name, data) in [("keys", &keys), ("values", &values)] {
            if let Some(r) = data.first_non_finite_row() {
                return Err(Error::format(
                    "bank",
                    format!("{name}: row {r} holds a non-finite value"),
                ));
            }
        }
        for (i, ll) in locs.chunks_exact(2).enumerate() {
            if !(-90.0..=90.0).contains(&ll[1]) {
                return Err(Error::format(
                    "bank",
                    format!("location row {i}: latitude {} outside [-90, 90]", ll[1]),
                ));
            }
        }
        keys.normalise()
            .map_err(|i| Error::format("bank", format!("key row {i} is all zeros and cannot be normalised")))?;
        Ok(Self {
            locs,
            key_dim: keys.cols(),
            value_dim: values.cols(),
            keys,
            values,
            encoder_id: encoder_id.to_string(),
            precision,
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.locs.len() / 2
    }

    /// Serialises to our bank file, keys and values in `dtype`, locations in f32.
    pub fn to_bytes(&self, dtype: StorageDtype) -> Result<Vec<u8>> {
        let n = self.rows();
        let mut w = FileWriter::new(BANK_FORMAT, dtype);
        w.meta("rows", n)
            .meta("key_dim", self.key_dim)
            .meta("value_dim", self.value_dim)
            .meta("encoder_id", &self.encoder_id);
        w.add_exact("locs", &[n, 2], &self.locs);
        w.add("keys", &[n, self.key_dim], &self.keys.to_f32());
        w.add("values", &[n, self.value_dim], &self.values.to_f32());
        w.to_bytes()
    }

    /// Parses our bank file (`what` names it in errors). Keys and values stay in the file's
    /// precision: an int8 file's codes are not decoded.
    pub fn from_bytes(bytes: &[u8], what: &str) -> Result<Self> {
        let r = FileReader::parse(bytes, what, BANK_FORMAT)?;
        Parts::read(&r, what)?.with_values(r.rows("values")?, what)
    }

    /// Parses a shard that [`shard_files`] cut in this process (a browser worker's part of a
    /// bank), checked as [`from_bytes`](Self::from_bytes) checks a file but for the content
    /// hash: a shard carries none of its own, its whole file having been verified as it was cut.
    pub fn from_shard(bytes: &[u8], what: &str) -> Result<Self> {
        let r = FileReader::parse_shard(bytes, what, BANK_FORMAT)?;
        Parts::read(&r, what)?.with_values(r.rows("values")?, what)
    }

    /// [`from_bytes`](Self::from_bytes), taking the file over: an int8 file's value codes stay
    /// where they are in its allocation ([`Rows::from_int8_bytes`]), so the load holds them
    /// once (with the 100k-row bank of 128 MB, about 100 MB less at its peak).
    pub fn from_owned_bytes(bytes: Vec<u8>, what: &str) -> Result<Self> {
        Self::owned(bytes, what, Seal::Hashed)
    }

    /// [`from_shard`](Self::from_shard), taking the shard over as
    /// [`from_owned_bytes`](Self::from_owned_bytes) takes a file.
    pub fn from_owned_shard(bytes: Vec<u8>, what: &str) -> Result<Self> {
        Self::owned(bytes, what, Seal::Shard)
    }

    fn owned(bytes: Vec<u8>, what: &str, seal: Seal) -> Result<Self> {
        let (parts, span) = {
            let r = match seal {
                Seal::Hashed => FileReader::parse(&bytes, what, BANK_FORMAT)?,
                Seal::Shard => FileReader::parse_shard(&bytes, what, BANK_FORMAT)?,
            };
            let parts = Parts::read(&r, what)?;
            match r.int8_span("values")? {
                Some(span) => (parts, span),
                None => return parts.with_values(r.rows("values")?, what),
            }
        };
        let values = finite_rows(Rows::from_int8_bytes(bytes, span), what, "values")?;
        parts.with_values(values, what)
    }
}

/// A bank file's parts but its values, checked against its metadata.
struct Parts {
    rows: usize,
    value_dim: usize,
    locs: Vec<f32>,
    keys: Rows,
    encoder_id: String,
    precision: StorageDtype,
}

impl Parts {
    fn read(r: &FileReader, what: &str) -> Result<Self> {
        let (n, kd, vd): (usize, usize, usize) = (
            r.meta_parse("rows")?,
            r.meta_parse("key_dim")?,
            r.meta_parse("value_dim")?,
        );
        let locs = r.tensor("locs", 2)?;
        if locs.shape != [n, 2] {
            return Err(Error::format(
                what,
                format!("tensor \"locs\" has shape {:?}, metadata says [{n}, 2]", locs.shape),
            ));
        }
        let keys = r.rows("keys")?;
        shape_agrees("keys", &keys, [n, kd], what)?;
        Ok(Self {
            rows: n,
            value_dim: vd,
            locs: locs.data,
            keys,
            encoder_id: r.meta_str("encoder_id")?.to_string(),
            precision: r.meta_parse("dtype")?,
        })
    }

    fn with_values(self, values: Rows, what: &str) -> Result<Bank> {
        shape_agrees("values", &values, [self.rows, self.value_dim], what)?;
        Bank::from_rows(self.locs, self.keys, values, &self.encoder_id, self.precision)
    }
}

/// An error unless the tensor `name` holds `[rows, cols]` as the metadata says.
fn shape_agrees(name: &str, t: &Rows, [n, cols]: [usize; 2], what: &str) -> Result<()> {
    if [t.rows(), t.cols()] != [n, cols] {
        return Err(Error::format(
            what,
            format!(
                "tensor {name:?} has shape {:?}, metadata says [{n}, {cols}]",
                [t.rows(), t.cols()]
            ),
        ));
    }
    Ok(())
}

/// The bytes of a bank file holding rows `start..end` of the bank file `bytes`, in the same
/// precision, codes copied as stored (so such a part computes exactly what those rows of the
/// whole bank do), with a content hash of its own.
pub fn slice_file(bytes: &[u8], what: &str, start: usize, end: usize) -> Result<Vec<u8>> {
    let r = FileReader::parse(bytes, what, BANK_FORMAT)?;
    Ok(r.cut_rows((r.meta_parse("rows")?, start, end), Seal::Hashed)?
        .assemble(bytes))
}

/// The bank file `bytes` cut into at most `parts` shards of contiguous rows, each with its
/// first row: what the browser gives each of its CPU workers ([`crate::Model`]'s shards).
/// Cut as [`slice_file`] cuts, but the file is verified once, here, and the shards are
/// [`Seal::Shard`]s, read back with [`Bank::from_shard`]: no shard is hashed, on either side.
/// As [`Cut`]s of `bytes`: the browser assembles them from its own copy of the file.
pub fn shard_cuts(bytes: &[u8], what: &str, parts: usize) -> Result<Vec<(usize, Cut)>> {
    let r = FileReader::parse(bytes, what, BANK_FORMAT)?;
    let rows = r.meta_parse("rows")?;
    shard_ranges(rows, parts)
        .into_iter()
        .map(|(a, z)| Ok((a, r.cut_rows((rows, a, z), Seal::Shard)?)))
        .collect()
}

/// [`shard_cuts`], assembled.
pub fn shard_files(bytes: &[u8], what: &str, parts: usize) -> Result<Vec<(usize, Vec<u8>)>> {
    let cuts = shard_cuts(bytes, what, parts)?;
    Ok(cuts.into_iter().map(|(a, c)| (a, c.assemble(bytes))).collect())
}

/// `0..rows` in `parts` contiguous ranges as equal as can be (none empty: at most `rows`).
pub fn shard_ranges(rows: usize, parts: usize) -> Vec<(usize, usize)> {
    let parts = parts.clamp(1, rows.max(1));
    (0..parts).map(|p| (p * rows / parts, (p + 1) * rows / parts)).collect()
}

/// Where a [`DeviceBank`]'s keys and values live.
// A bank holds one; burn's device tensors make its GPU variants large, and boxing them would
// only add a pointer to follow.
#[allow(clippy::large_enum_variant)]
pub enum Matrices {
    /// f32 (or f16) tensors on a GPU.
    Device { keys: Tensor<2>, values: Tensor<2> },
    /// Tensors of [`quantized::TILE`] rows on a GPU: int8 codes and row scales (burn's
    /// quantised tensors: the bank held in int8), or f32 or f16 (a bank past the GPU's largest
    /// buffer, [`f32_too_large`]).
    DeviceTiles {
        keys: Vec<Tensor<2>>,
        values: Vec<Tensor<2>>,
    },
    /// Host rows in the file's precision (the CPU): read directly by [`crate::fused`], and
    /// dequantised a tile at a time for the batched path.
    Host { keys: Rows, values: Rows },
}

/// The most bytes one buffer may hold on `device` (`None`: unknown, or no limit to mind —
/// the CPU, or the native `vulkan` build, whose GPUs allow gigabytes).
fn buffer_limit(device: &Device) -> Option<usize> {
    #[cfg(all(feature = "wgpu", not(feature = "vulkan")))]
    return crate::fused_gpu::max_buffer_bytes(device);
    #[cfg(not(all(feature = "wgpu", not(feature = "vulkan"))))]
    {
        let _ = device;
        None
    }
}

/// Whether the keys or values in f32 would exceed `limit`, the largest buffer of the device,
/// where a GPU reads them wrongly (silently, measured on lavapipe past 128 MiB). Such a bank is
/// held in tiles of [`quantized::TILE`] rows instead: int8 rows as int8, f32 (or f16) rows as f32
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
    /// The same unit vectors on the host, `N × 3` (what [`crate::fused`] reads).
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
pub enum GpuPrecision {
    /// f32: the reference's arithmetic (exact within f32 rounding). The default.
    #[default]
    F32,
    /// f16 keys and values (values divided by the bank's largest |value|), f16 products with
    /// f32 softmax sums: half the memory and the GPU's fast matrix units, at a relative error
    /// of about 1e-3 (BENCHMARKS.md). The unit vectors of the geographic head stay f32.
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
        let limit = buffer_limit(device);
        let matrices = if *device == Device::flex() {
            Matrices::Host { keys, values }
        } else if int8 {
            Matrices::DeviceTiles {
                keys: quantized::tiles(&keys.into_int8(), device)?,
                values: quantized::tiles(&values.into_int8(), device)?,
            }
        } else if f32_too_large(n, key_dim.max(value_dim), limit) {
            // An int8 bank stays int8: its own numbers, a quarter of the memory.
            let tiles = |rows: Rows| match rows {
                Rows::Int8 { .. } => quantized::tiles(&rows, device),
                Rows::F32 { .. } => Ok(f32_pieces(&rows, quantized::TILE, device).map(|(_, t)| t).collect()),
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
    /// the GPU's largest buffer, in tiles of [`quantized::TILE`] rows (as [`build`](Self::build)
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
            return Err(Error::Backend(format!("this GPU has no {dtype:?} arithmetic")));
        }
        // Values go back to the stored numbers, then into the new scale.
        let (keys_to, values_to) = ((dtype, 1.0), (dtype, self.value_scale / scale));
        let whole = !f32_too_large(self.rows, self.key_dim.max(self.value_dim), buffer_limit(&self.device));
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
                keys: converted(quantized::dequantized(&keys), keys_to),
                values: converted(quantized::dequantized(&values), values_to),
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
    /// a GPU: [`quantized::TILE`]), whatever the batch.
    pub fn fixed_tile(&self) -> Option<usize> {
        matches!(self.matrices, Matrices::DeviceTiles { .. }).then_some(quantized::TILE)
    }

    /// The bank as [`crate::fused`] reads it, when its rows are on the host (the CPU).
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

    /// The bank as [`crate::attention`] streams it.
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
