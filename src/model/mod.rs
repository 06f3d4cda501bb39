//! An encoder, optionally a bank, and the variant that combines them: the whole embedding.

use burn::tensor::activation::softmax;
use burn::tensor::{DType, Device, Tensor, TensorData};

use crate::attention::cpu::{self, Head as KernelHead};
use crate::attention::stream::{all_scores, tile_rows};
use crate::attention::{Against, Compute, HeadSpec};
use crate::bank::{Bank, DeviceBank, GpuPrecision, HostBank};
use crate::encoder::{DeviceEncoder, Encoder};
use crate::error::{Error, Result};
use crate::geo::{unit_vector, validate_points, validate_points_at};
use crate::parallel::threads;

pub mod device;
mod geo_head;
mod options;
mod route;
mod shard;
mod similar;
mod variant;

pub use device::{DeviceFacts, DevicePlan, DeviceRequest, NO_GPU_NOTE, Workers, plan_device};
use geo_head::geo_pruned;
pub use options::{LoadOptions, Loaded, default_gpu_attention};
use route::Route;
pub use shard::{Combined, ShardScores, add_concatenated_parts, add_shard_parts, combine};
pub use similar::{Compare, Similar};
pub use variant::{RANGE_PLUS_GEO_SCALE, RANGE_PLUS_SEMANTIC_SCALE, RANGE_SCALE, Variant, VariantName};

/// Score-block budget per head and tile, in elements (32 MB of f32).
///
/// The CPU's best measured; which tile suits a GPU is still open, hence
/// [`Model::set_tile_budget`].
pub const DEFAULT_TILE_BUDGET: usize = 8 << 20;

/// The largest tensor one batch may create, in bytes. WebGPU guarantees storage buffers of
/// 128 MiB and no more; larger requests are split into batches that fit.
const BATCH_BYTES: usize = 128 << 20;

/// The next [`Model`]'s id.
static NEXT_MODEL_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A loaded model on a device.
pub struct Model {
    encoder: DeviceEncoder,
    bank: Option<DeviceBank>,
    device: Device,
    /// RANGE+'s geographic head skips bank rows farther than this (radians) from a query.
    geo_cutoff: Option<f64>,
    /// Score-block budget per head and tile, in elements ([`DEFAULT_TILE_BUDGET`] by default).
    tile_budget: usize,
    /// How a GPU runs the exact heads over the whole bank ([`GpuAttention`]), with what the
    /// route needs.
    route: Route,
    /// Tells this model's bank-shard rounds ([`ShardScores`]) from another's.
    id: u64,
    /// [`identity`](Self::identity).
    identity: String,
}

impl Model {
    /// Uploads an encoder and, for RANGE, a bank to `device`. The encoder computes in
    /// `encoder_dtype`; retrieval is f32. A bank whose keys are not in this encoder's space
    /// (another width, or built by another encoder) is refused.
    pub fn new(encoder: &Encoder, bank: Option<&Bank>, device: &Device, encoder_dtype: DType) -> Result<Self> {
        if let Some(b) = bank {
            check_pair(encoder, b)?;
        }
        let on_device = bank.map(|b| DeviceBank::new(b, device)).transpose()?;
        Ok(Self::from_device_parts(
            (DeviceEncoder::new(encoder, device, encoder_dtype)?, &encoder.id),
            on_device,
            device,
        ))
    }

    /// [`new`](Self::new) for a caller that gives the encoder and bank up: each host weight is
    /// freed once it is on the device and the bank's rows are reordered in place, so the load
    /// holds nothing twice (in a browser, whose WebAssembly heap never shrinks, the peak of a
    /// load is what the page keeps).
    pub fn from_owned(encoder: Encoder, bank: Option<Bank>, device: &Device, encoder_dtype: DType) -> Result<Self> {
        if let Some(b) = &bank {
            check_pair(&encoder, b)?;
        }
        let on_device = bank.map(|b| DeviceBank::from_owned(b, device)).transpose()?;
        let id = encoder.id.clone();
        Ok(Self::from_device_parts(
            (DeviceEncoder::from_owned(encoder, device, encoder_dtype)?, &id),
            on_device,
            device,
        ))
    }

    /// [`new`](Self::new) with the bank's keys and values held on the GPU in `precision`:
    /// f32, f16 (as [`set_gpu_precision`](Self::set_gpu_precision)) or int8, which is built
    /// here from the host bank (an int8 file keeps its own codes and scales). An error on the
    /// CPU, or for a precision the GPU lacks.
    pub fn with_gpu_precision(
        encoder: &Encoder,
        bank: &Bank,
        device: &Device,
        encoder_dtype: DType,
        precision: GpuPrecision,
    ) -> Result<Self> {
        check_pair(encoder, bank)?;
        let on_device = DeviceBank::with_precision(bank, device, precision)?;
        Ok(Self::from_device_parts(
            (DeviceEncoder::new(encoder, device, encoder_dtype)?, &encoder.id),
            Some(on_device),
            device,
        ))
    }

    fn from_device_parts(
        (encoder, encoder_id): (DeviceEncoder, &str),
        bank: Option<DeviceBank>,
        device: &Device,
    ) -> Self {
        let identity = match &bank {
            Some(b) => format!(
                "encoder {encoder_id}, bank {}-d keys × {}-d values",
                b.key_dim, b.value_dim
            ),
            None => format!("encoder {encoder_id}, no bank"),
        };
        Self {
            identity,
            encoder,
            bank,
            device: device.clone(),
            geo_cutoff: None,
            tile_budget: DEFAULT_TILE_BUDGET,
            route: Route::Stream,
            id: NEXT_MODEL_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
        }
    }

    /// Approximate RANGE+: its geographic head ignores bank rows more than `degrees` from a point.
    ///
    /// The head is `softmax(40 · cos θ)`: each ignored row would have had a weight at most
    /// `exp(40 · (cos cutoff − 1))` times the nearest row's (8.6e-5 at 40°, 2e-9 at 60°).
    /// `None` (the default) is exact. Applies to β < 1 only; RANGE and the semantic head are
    /// always exact. On the CPU every batch prunes per point in the CPU kernel; on a GPU
    /// queries are grouped by 5° cells, each cell its own pass.
    pub fn set_geo_cutoff(&mut self, degrees: Option<f64>) -> Result<()> {
        self.geo_cutoff = match degrees {
            None => None,
            Some(d) if d.is_finite() && d > 0.0 && d <= 180.0 => Some(d.to_radians()),
            Some(d) => {
                return Err(Error::Invalid(format!(
                    "the geographic cut-off must be an angle in (0, 180] degrees, got {d}"
                )));
            }
        };
        Ok(())
    }

    /// Holds the bank's keys and values on the GPU in `precision` (f32 by default; f16 halves
    /// the memory and uses the GPU's fast matrix units at a relative error of about 1e-3). An
    /// error without a bank, on the CPU, or on a GPU without f16 arithmetic. int8 is chosen
    /// when the model is built ([`with_gpu_precision`](Self::with_gpu_precision)).
    pub fn set_gpu_precision(&mut self, precision: GpuPrecision) -> Result<()> {
        self.bank
            .as_mut()
            .ok_or_else(|| Error::Invalid("the GPU precision applies to a bank, and this model has none".into()))?
            .set_precision(precision)
    }

    /// How many scores (batch × bank rows) one streamed tile of one head may hold: larger tiles
    /// mean fewer, larger GPU dispatches and more memory. Tuning only (the result is the same
    /// within f32 rounding); at least [`crate::attention::stream::MIN_TILE`] rows per tile are kept.
    pub fn set_tile_budget(&mut self, elements: usize) {
        self.tile_budget = elements.max(1);
    }

    /// Where SatCLIP's harmonics are computed: on the device (the default on a GPU: two small
    /// matrix products; `2(2L − 1)` numbers uploaded per point instead of `L²`, i.e. 158
    /// instead of 1,600 at L = 40; features within a few f32 roundings of the host's) or on the host in f64 and uploaded (the default on the
    /// CPU, the parity path). Tuning only; no effect on GeoCLIP.
    pub fn set_harmonics_on_device(&mut self, on: bool) {
        self.encoder.set_harmonics_on_device(on);
    }

    /// What a probe fitted on this model's embeddings records of it (`crate::probe::Origin`):
    /// the encoder's id and the bank's widths. A shard of a bank says the same as the whole
    /// bank; another bank for the same encoder with the same widths does too.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// Width of each output row for `variant`.
    pub fn dim(&self, variant: Variant) -> usize {
        match (variant, &self.bank) {
            (Variant::Encoder, _) | (_, None) => self.encoder.embed_dim(),
            (_, Some(b)) => b.value_dim + self.encoder.embed_dim(),
        }
    }

    /// Width of the high-resolution part of `variant`'s rows: their first columns, before the
    /// encoder's (`dim(variant) − dim(Encoder)`; 0 for the encoder alone or without a bank).
    /// The one place the bindings learn where an embedding's two parts meet.
    pub fn high_dim(&self, variant: Variant) -> usize {
        self.dim(variant) - self.dim(Variant::Encoder)
    }

    /// The most points one batch may hold on this model's device: its widest step (encoder
    /// layers, output row, score tile — the int8 GPU bank's fixed tiles included) times the
    /// points stays within [`BATCH_BYTES`] at 8 bytes a value. [`embed`](Self::embed) splits
    /// larger batches.
    pub fn max_batch(&self) -> usize {
        let widest = self
            .encoder
            .widest()
            .max(self.dim(Variant::RangePlus { beta: 0.5 }))
            .max(crate::attention::stream::MIN_TILE)
            .max(self.bank.as_ref().and_then(DeviceBank::fixed_tile).unwrap_or(0));
        (BATCH_BYTES / (widest * 8)).max(1)
    }

    /// Embeds flat `[lon0, lat0, …]` degrees in batches of `batch` points (at most
    /// [`max_batch`](Self::max_batch)); `progress` hears
    /// the number of points done after each batch. Returns `points × dim` row-major f32.
    pub fn embed(
        &self,
        lonlat: &[f64],
        variant: Variant,
        batch: usize,
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<f32>> {
        self.embed_with(lonlat, variant, (batch, Compute::Exact), progress)
    }

    /// [`embed`](Self::embed) with the score pass in `compute`'s arithmetic
    /// ([`Compute::Int8`]: int8 dot products against an int8 bank on the CPU).
    pub fn embed_with(
        &self,
        lonlat: &[f64],
        variant: Variant,
        (batch, compute): (usize, Compute),
        progress: &mut dyn FnMut(usize),
    ) -> Result<Vec<f32>> {
        let points = validate_points(lonlat)?;
        if variant != Variant::Encoder && self.bank.is_none() {
            return Err(Error::Invalid("RANGE and RANGE+ need a bank".into()));
        }
        let dim = self.dim(variant);
        let mut out = Vec::with_capacity(points.len() / 2 * dim);
        let mut done = 0;
        for chunk in points.chunks(batch.clamp(1, self.max_batch()) * 2) {
            let rows = self.embed_batch_with(chunk, variant, compute)?;
            out.extend(read_f32(rows)?);
            done += chunk.len() / 2;
            progress(done);
        }
        check_finite(&out, dim)?;
        Ok(out)
    }

    /// Like [`embed`](Self::embed) but reads results back asynchronously: the only way that
    /// works in a browser (WebGPU has no synchronous readback). The points are rows
    /// `first_row..` of the caller's input (a batch of it), which a bad coordinate's error
    /// names; batches of at most [`max_batch`](Self::max_batch) points.
    pub async fn embed_async(
        &self,
        lonlat: &[f64],
        variant: Variant,
        first_row: usize,
        compute: Compute,
    ) -> Result<Vec<f32>> {
        let points = validate_points_at(lonlat, first_row)?;
        let mut out = Vec::with_capacity(points.len() / 2 * self.dim(variant));
        for chunk in points.chunks(self.max_batch() * 2) {
            let rows = self.embed_batch_with(chunk, variant, compute)?;
            let data = rows
                .into_data_async()
                .await
                .map_err(|e| Error::backend("reading a result back", e))?;
            out.extend(data_f32(data)?);
        }
        check_finite(&out, self.dim(variant)).map_err(|e| e.shifted(first_row))?;
        Ok(out)
    }

    /// One batch as a device tensor `[points, dim]`, f32.
    pub fn embed_batch(&self, lonlat: &[f64], variant: Variant) -> Result<Tensor<2>> {
        self.embed_batch_with(lonlat, variant, Compute::Exact)
    }

    /// [`embed_batch`](Self::embed_batch) with the score pass in `compute`'s arithmetic: with
    /// [`Compute::Int8`] and an int8 bank on the CPU, every batch takes the CPU kernel, whose
    /// score pass is the only one in int8.
    pub fn embed_batch_with(&self, lonlat: &[f64], variant: Variant, compute: Compute) -> Result<Tensor<2>> {
        let raw = self.encoder.forward(lonlat);
        if variant == Variant::Encoder {
            return Ok(raw.cast(DType::F32));
        }
        let bank = self.bank()?;
        let q = normalise(raw);
        let heads = heads(variant);
        let threads = threads();
        let points = lonlat.len() / 2;
        if let Some(host) = bank.host()
            && (int8_scores(&host, compute) || points <= cpu::kernel_up_to(heads.iter().map(|(h, _)| h)))
        {
            let high = self.kernel_high(bank, &host, &heads, &q, lonlat, (threads, compute))?;
            return Ok(Tensor::cat(vec![high, q], 1));
        }
        let view = bank.view();
        let tile = tile_rows(points, bank.rows, self.tile_budget);
        // Heads over the whole bank stream together; a pruned geographic head goes its own way.
        let pruned = |h: &HeadSpec| self.geo_cutoff.is_some() && h.against == Against::Locations;
        let (apart, together): (Vec<_>, Vec<_>) = heads.into_iter().partition(|(h, _)| pruned(h));
        let specs: Vec<HeadSpec> = together.iter().map(|(h, _)| *h).collect();
        let weights: Vec<f32> = together.iter().map(|(_, w)| *w).collect();
        // On the CPU RANGE+'s two heads share one `P · V` per tile (attention::stream_mixed,
        // which returns their weighted sum); a GPU keeps one per head until measured there.
        let mixed = specs.len() > 1 && bank.host().is_some() && matches!(self.route, Route::Stream);
        let whole = if specs.is_empty() {
            Vec::new()
        } else {
            self.whole_bank_heads(
                &view,
                &specs,
                &q,
                lonlat,
                (tile, threads, mixed.then_some(&weights[..])),
            )?
        };
        let mut outs: Vec<(Tensor<2>, f32)> = if mixed {
            whole.into_iter().map(|t| (t, 1.0)).collect()
        } else {
            whole.into_iter().zip(weights).collect()
        };
        if let (Some((spec, w)), Some(cutoff)) = (apart.first(), self.geo_cutoff) {
            // On the CPU the CPU kernel's passes prune per point, at any batch size; the streamed
            // path makes each 5° cell its own pass, which scattered batches pay for.
            let geo = match bank.host() {
                Some(host) => self.kernel_high(bank, &host, &[(*spec, 1.0)], &q, lonlat, (threads, compute))?,
                None => geo_pruned(
                    &view,
                    &bank.spatial,
                    lonlat,
                    self.query_xyz(lonlat),
                    *spec,
                    (cutoff, self.tile_budget),
                    threads,
                )?,
            };
            outs.push((geo, *w));
        }
        let high = weighted_sum(outs.into_iter())?;
        Ok(Tensor::cat(vec![high, q], 1))
    }

    /// The weight of every bank row in one point's high-resolution vector, combined as the
    /// variant combines its heads (RANGE+: β·semantic + (1−β)·geographic): `[1, rows]`.
    /// One point against the bank is a single row, so this holds it whole.
    pub fn bank_weights(&self, lon: f64, lat: f64, variant: Variant) -> Result<Tensor<2>> {
        let point = validate_points(&[lon, lat])?;
        let bank = self.bank()?;
        let q = normalise(self.encoder.forward(&point));
        let weights = if let Some(host) = bank.host() {
            let (qh, xyz) = (read_f32(q)?, unit_vectors(&point));
            let fh = kernel_heads(&heads(variant), &qh, &xyz, None);
            let w = cpu::weights(&host, &fh, threads())?;
            Tensor::from_data(TensorData::new(w, [1, bank.rows]), &self.device)
        } else {
            let view = bank.view();
            let parts = heads(variant).into_iter().map(|(h, w)| {
                let k = match h.against {
                    Against::Keys => view.keys,
                    Against::Locations => view.xyz,
                };
                let scores = all_scores(&self.head_queries(&h, &q, &point).mul_scalar(h.scale), &k, bank.rows);
                (softmax(scores, 1), w)
            });
            weighted_sum(parts)?
        };
        // Device rows are in spatial order; the caller wants the bank's.
        Ok(weights.select(1, bank.device_row.clone()))
    }

    /// The `k` bank rows that contribute most to a point's embedding, heaviest first.
    pub fn explain(&self, lon: f64, lat: f64, variant: Variant, k: usize) -> Result<Vec<Contribution>> {
        let w = self.bank_weights(lon, lat, variant)?;
        let data = w
            .try_into_data()
            .map_err(|e| Error::backend("reading a result back", e))?;
        self.top_rows_of(data, k)
    }

    /// [`explain`](Self::explain) with an asynchronous read (browsers).
    pub async fn explain_async(&self, lon: f64, lat: f64, variant: Variant, k: usize) -> Result<Vec<Contribution>> {
        let w = self.bank_weights(lon, lat, variant)?;
        let data = w
            .into_data_async()
            .await
            .map_err(|e| Error::backend("reading a result back", e))?;
        self.top_rows_of(data, k)
    }

    fn top_rows_of(&self, data: TensorData, k: usize) -> Result<Vec<Contribution>> {
        self.top_rows(data_f32(data)?, k)
    }

    /// The `k` heaviest of `weights` (one per bank row, in the bank's order), heaviest first.
    fn top_rows(&self, weights: Vec<f32>, k: usize) -> Result<Vec<Contribution>> {
        Ok(self
            .top_located(&weights, k)?
            .map(|(row, weight, lon, lat)| Contribution { row, weight, lon, lat })
            .collect())
    }

    /// The `k` highest of `scores` (one per bank row, in the bank's order), highest first, as
    /// `(row, score, lon, lat)`.
    fn top_located<'a>(
        &'a self,
        scores: &'a [f32],
        k: usize,
    ) -> Result<impl Iterator<Item = (usize, f32, f32, f32)> + 'a> {
        let locs = &self.bank()?.locs;
        Ok(crate::bank::similar::top_k(scores, k)
            .into_iter()
            .map(move |row| (row, scores[row], locs[2 * row], locs[2 * row + 1])))
    }

    fn bank(&self) -> Result<&DeviceBank> {
        self.bank
            .as_ref()
            .ok_or_else(|| Error::Invalid("RANGE and RANGE+ need a bank".into()))
    }

    /// RANGE's high-resolution part for a few points on the CPU ([`cpu`]): exact, or with
    /// the geographic head limited to the rows within the cut-off of each point.
    fn kernel_high(
        &self,
        bank: &DeviceBank,
        host: &HostBank,
        heads: &[(HeadSpec, f32)],
        q: &Tensor<2>,
        lonlat: &[f64],
        (threads, compute): (usize, Compute),
    ) -> Result<Tensor<2>> {
        let (qh, xyz) = (read_f32(q.clone())?, unit_vectors(lonlat));
        let runs: Option<Vec<Vec<(usize, usize)>>> = self.geo_cutoff.map(|cutoff| {
            lonlat
                .chunks_exact(2)
                .map(|p| {
                    let r = bank.spatial.runs_near(p[0], p[1], cutoff);
                    // No row that near: this point gets the exact head.
                    if r.is_empty() { vec![(0, bank.rows)] } else { r }
                })
                .collect()
        });
        let fh = kernel_heads(heads, &qh, &xyz, runs.as_deref());
        let points = lonlat.len() / 2;
        let group = cpu::group_size(bank.rows, heads.len());
        let mut high = Vec::with_capacity(points * bank.value_dim);
        for start in (0..points).step_by(group) {
            let n = group.min(points - start);
            let part: Vec<KernelHead> = fh
                .iter()
                .map(|h| {
                    let dim = h.queries.len() / points;
                    KernelHead {
                        queries: &h.queries[start * dim..(start + n) * dim],
                        runs: h.runs.map(|r| &r[start..start + n]),
                        ..*h
                    }
                })
                .collect();
            high.extend(cpu::attend(host, &part, n, threads, compute)?);
        }
        Ok(Tensor::from_data(
            TensorData::new(high, [points, bank.value_dim]),
            &self.device,
        ))
    }

    /// What a head compares with the bank: the normalised encoding, or the point's unit vector.
    fn head_queries(&self, head: &HeadSpec, q: &Tensor<2>, lonlat: &[f64]) -> Tensor<2> {
        match head.against {
            Against::Keys => q.clone(),
            Against::Locations => self.query_xyz(lonlat),
        }
    }

    fn query_xyz(&self, lonlat: &[f64]) -> Tensor<2> {
        let xyz = unit_vectors(lonlat);
        crate::backend::matrix_on_device(xyz, [lonlat.len() / 2, 3], &self.device, DType::F32)
    }
}

/// One bank row's share of a point's high-resolution vector.
#[derive(Clone, Debug, PartialEq)]
pub struct Contribution {
    /// Row of the bank.
    pub row: usize,
    /// Its softmax weight (the weights of all rows sum to 1).
    pub weight: f32,
    pub lon: f32,
    pub lat: f32,
}

/// Whether `compute` scores this bank in int8: asked for, and the keys are int8.
fn int8_scores(host: &HostBank, compute: Compute) -> bool {
    compute == Compute::Int8 && matches!(host.keys, crate::format::Rows::Int8 { .. })
}

/// The unit vectors of flat `[lon, lat, …]` degrees, `points × 3`.
fn unit_vectors(lonlat: &[f64]) -> Vec<f32> {
    lonlat
        .chunks_exact(2)
        .flat_map(|p| unit_vector(p[0], p[1]).map(|v| v as f32))
        .collect()
}

/// A variant's heads for the CPU kernel ([`cpu`]): each reads the encodings `q` or the points' unit vectors
/// `xyz`; the geographic head, with a cut-off, only each point's `runs`.
fn kernel_heads<'a>(
    heads: &[(HeadSpec, f32)],
    q: &'a [f32],
    xyz: &'a [f32],
    runs: Option<&'a [Vec<(usize, usize)>]>,
) -> Vec<KernelHead<'a>> {
    heads
        .iter()
        .map(|(spec, w)| {
            let geo = spec.against == Against::Locations;
            KernelHead {
                spec: *spec,
                weight: *w,
                queries: if geo { xyz } else { q },
                runs: if geo { runs } else { None },
            }
        })
        .collect()
}

/// The attention heads of a variant with the weight of each in the output.
fn heads(variant: Variant) -> Vec<(HeadSpec, f32)> {
    let keys = |scale| HeadSpec {
        scale,
        against: Against::Keys,
    };
    match variant {
        Variant::Encoder => Vec::new(),
        Variant::Range => vec![(keys(RANGE_SCALE), 1.0)],
        Variant::RangePlus { beta } => [
            (keys(RANGE_PLUS_SEMANTIC_SCALE), beta),
            (
                HeadSpec {
                    scale: RANGE_PLUS_GEO_SCALE,
                    against: Against::Locations,
                },
                1.0 - beta,
            ),
        ]
        .into_iter()
        .filter(|(_, w)| *w > 0.0)
        .collect(),
    }
}

/// L2-normalised rows, as f32 (retrieval runs in f32 whatever the encoder's dtype).
fn normalise(raw: Tensor<2>) -> Tensor<2> {
    let norm = raw.clone().powi_scalar(2).sum_dim(1).sqrt();
    (raw / norm).cast(DType::F32)
}

/// `Σ wᵢ · tᵢ`.
fn weighted_sum(parts: impl Iterator<Item = (Tensor<2>, f32)>) -> Result<Tensor<2>> {
    parts
        .map(|(t, w)| t.mul_scalar(w))
        .reduce(|a, b| a + b)
        .ok_or_else(|| Error::Invalid("no attention head".into()))
}

/// Refuses an encoder and bank that do not belong together.
pub fn check_pair(encoder: &Encoder, bank: &Bank) -> Result<()> {
    if bank.key_dim != encoder.embed_dim() {
        return Err(Error::Mismatch(format!(
            "the bank's keys are {}-d but the encoder outputs {}-d",
            bank.key_dim,
            encoder.embed_dim()
        )));
    }
    if bank.encoder_id != encoder.id {
        return Err(Error::Mismatch(format!(
            "the bank was built for encoder {} but this encoder is {}",
            bank.encoder_id, encoder.id
        )));
    }
    Ok(())
}

/// Refuses output holding NaN or ∞, naming the first such row: finite weights can still
/// overflow f32 for some inputs, and a NaN embedding must not pass for a result.
fn check_finite(out: &[f32], dim: usize) -> Result<()> {
    match out.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(i) => Err(Error::Coordinate {
            row: i / dim.max(1),
            reason: "the model's output is not finite here (its weights overflow f32)".into(),
        }),
    }
}

/// Reads a device tensor back as f32 (synchronously; native only).
fn read_f32(t: Tensor<2>) -> Result<Vec<f32>> {
    data_f32(
        t.try_into_data()
            .map_err(|e| Error::backend("reading a result back", e))?,
    )
}

/// Data read back from a device, as f32.
fn data_f32(data: TensorData) -> Result<Vec<f32>> {
    data.convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| Error::backend("reading a result back", e))
}

/// Builds a bank whose keys are `encoder`'s outputs at `lonlat` (normalised) and whose values
/// are the caller's `value_dim`-wide rows, one per location. Runs the encoder on `device` in
/// batches of `batch` points.
pub fn build_bank(
    encoder: &Encoder,
    lonlat: &[f64],
    values: Vec<f32>,
    value_dim: usize,
    (device, dtype): (&Device, DType),
    batch: usize,
) -> Result<Bank> {
    let points = validate_points(lonlat)?;
    let rows = points.len() / 2;
    if value_dim == 0 || values.len() != rows * value_dim {
        return Err(Error::Mismatch(format!(
            "{rows} locations but {} values of width {value_dim}",
            values.len() / value_dim.max(1)
        )));
    }
    let model = Model::new(encoder, None, device, dtype)?;
    let keys = model.embed(&points, Variant::Encoder, batch, &mut |_| {})?;
    let locs: Vec<f32> = points.iter().map(|v| *v as f32).collect();
    Bank::new(locs, keys, values, encoder.embed_dim(), value_dim, &encoder.id)
}
