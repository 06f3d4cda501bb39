//! Every `#[wasm_bindgen]` item of the crate: the low-level JavaScript API. `js/georange.js`
//! wraps it in the public `GeoRange` class (downloads with progress, caching, batching,
//! a queue); most users never call this file's exports directly.
//!
//! Errors: every fallible export returns `Result<_, JsValue>`, so a georange [`Error`]
//! reaches JavaScript as an `Error` with its one-line message.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Float32Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::model::LoadOptions;
use crate::model::{
    Combined, Compare, DeviceFacts, DeviceRequest, ShardScores, Workers, add_concatenated_parts, plan_device,
};
use crate::probe::cv::{CvOptions, cross_validate};
use crate::probe::{FitOptions, Labels, Origin, Prediction, Probe};
use crate::{Backend, Bank, Compute, Encoder, Error, GpuAttention, GpuPrecision, Model, Variant, bank};

fn web_sys_log(message: &str) {
    js_sys::Reflect::get(&js_sys::global(), &"console".into())
        .and_then(|console| js_sys::Reflect::get(&console, &"info".into()).map(|f| (console, f)))
        .ok()
        .and_then(|(console, info)| info.dyn_into::<js_sys::Function>().ok().map(|f| (console, f)))
        .map(|(console, f)| f.call1(&console, &message.into()));
}

impl From<Error> for JsValue {
    fn from(e: Error) -> JsValue {
        let js = js_sys::Error::new(&e.to_string());
        // Setting a property on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&js, &"code".into(), &e.code().into());
        if let Some(row) = e.row() {
            let _ = js_sys::Reflect::set(&js, &"row".into(), &(row as f64).into());
        }
        js.into()
    }
}

/// The code of every error this module throws, as `Error::code` names them (for the JS
/// side's own errors to use the same words).
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Vec<String> {
    Error::CODES.iter().map(|c| c.to_string()).collect()
}

/// Checks that `bytes` is the `file` (`"encoder"` or `"bank"`) that `pin` names
/// (`format::check_pin`): its content hash, verified. Throws `integrity` when it is another
/// file, `bad_file` when it is no such file, `invalid_argument` for a malformed pin.
#[wasm_bindgen(js_name = checkPin)]
pub fn check_pin_js(bytes: &[u8], file: &str, pin: &str) -> Result<(), JsValue> {
    let format = match file {
        "encoder" => crate::format::ENCODER_FORMAT,
        "bank" => crate::format::BANK_FORMAT,
        _ => return Err(Error::Invalid(format!("checkPin: unknown file {file:?} (encoder or bank)")).into()),
    };
    Ok(crate::format::check_pin(bytes, file, format, pin)?)
}

/// Where a model runs (`model::plan_device`): from the device asked for (`"auto"`,
/// `"webgpu"`, `"cpu"`), the workers asked for (`0`: `'auto'`), and what the page probed:
/// whether `navigator.gpu` exists, whether it gave an adapter and whether that is a software
/// one, whether a WebGPU device was lost on this page, the bank file's bytes, the cores, and
/// whether CPU workers can start. Errors with `unavailable` or `device_lost` for a GPU that
/// cannot be had.
#[wasm_bindgen(js_name = planDevice)]
#[allow(clippy::too_many_arguments)] // the facts, each a plain value from JavaScript
pub fn plan_device_js(
    device: &str,
    workers: usize,
    gpu_api: bool,
    adapter: bool,
    software: bool,
    lost: bool,
    bank_bytes: f64,
    cores: usize,
    can_start_workers: bool,
) -> Result<DevicePlanJs, JsValue> {
    let facts = DeviceFacts {
        gpu_api,
        adapter,
        software,
        lost,
        bank_bytes: bank_bytes as usize,
        cores,
        can_start_workers,
    };
    let workers = if workers == 0 {
        Workers::Auto
    } else {
        Workers::Count(workers)
    };
    let plan = plan_device(DeviceRequest::parse(device)?, workers, &facts)?;
    Ok(DevicePlanJs {
        backend: plan.backend.name().into(),
        workers: plan.workers,
        note: plan.notes.join("; "),
    })
}

/// `planDevice`'s answer.
#[wasm_bindgen(getter_with_clone, js_name = DevicePlan)]
pub struct DevicePlanJs {
    /// `"webgpu"` or `"cpu"`.
    pub backend: String,
    /// CPU workers to split the bank over (1: the calling thread alone).
    pub workers: usize,
    /// Why the backend differs from the device asked for ('' if it does not).
    pub note: String,
}

/// A loaded model (encoder, optional bank) on the browser's WebGPU device or the CPU.
#[wasm_bindgen]
pub struct WasmModel {
    inner: Rc<Inner>,
}

struct Inner {
    model: Model,
    backend: String,
    note: String,
    disposed: Cell<bool>,
}

#[wasm_bindgen]
impl WasmModel {
    /// Loads an encoder file and optionally a bank file (their bytes) onto `device`:
    /// `"webgpu"`, `"cpu"`, or `"auto"` (WebGPU when an adapter exists, else the CPU).
    /// `geo_cutoff_deg`: approximate RANGE+ (see `Model::set_geo_cutoff`); absent = exact.
    /// `gpu_precision`: `"f32"` (default), `"f16"` or `"int8"` for the bank on WebGPU (see
    /// `Model::with_gpu_precision`); ignored on the CPU; a GPU that cannot keeps f32 and `note`
    /// says so. `gpu_attention`: `"fused"` (default) or `"stream"` (see `GpuAttention`);
    /// ignored on the CPU; should fused fail to set up, the bank is streamed, and `note` says so
    /// when fused was asked for.
    pub async fn load(
        encoder: Vec<u8>,
        bank: Option<Vec<u8>>,
        device: String,
        geo_cutoff_deg: Option<f64>,
        gpu_precision: Option<String>,
        gpu_attention: Option<String>,
    ) -> Result<WasmModel, JsValue> {
        let options = LoadOptions {
            gpu_precision: gpu_precision.as_deref().map(GpuPrecision::parse).transpose()?,
            gpu_attention: gpu_attention.as_deref().map(GpuAttention::parse).transpose()?,
            geo_cutoff_deg,
            strict: false,
            ..LoadOptions::default()
        }
        .with_device(&device)?;
        // Each file's bytes are freed once parsed (the heap never shrinks).
        let encoder = Encoder::from_bytes(&{ encoder }, "encoder")?;
        let bank = bank.map(|b| Bank::from_owned_bytes(b, "bank")).transpose()?;
        let loaded = Model::load_async(encoder, bank, &options).await?;
        // The page shows the notes; the details (adapter, refusals) go to the console.
        for detail in &loaded.details {
            web_sys_log(&format!("georange: {detail}"));
        }
        let note = loaded.notes.join("; ");
        Ok(Self::wrap(loaded.model, loaded.backend.name(), note))
    }

    /// Loads an encoder file and a bank shard that `shardBank` cut in this page, on the CPU (a
    /// worker's part of the bank; see `Bank::from_shard`: the shard is checked as a file is,
    /// but carries no content hash, its whole file having been verified as it was cut).
    #[wasm_bindgen(js_name = loadShard)]
    pub async fn load_shard(
        encoder: Vec<u8>,
        shard: Vec<u8>,
        geo_cutoff_deg: Option<f64>,
    ) -> Result<WasmModel, JsValue> {
        let encoder = Encoder::from_bytes(&{ encoder }, "encoder")?;
        let bank = Bank::from_owned_shard(shard, "bank shard")?;
        let (dev, dtype) = Backend::Cpu.device_async().await?;
        let mut model = Model::from_owned(encoder, Some(bank), &dev, dtype)?;
        model.set_geo_cutoff(geo_cutoff_deg)?;
        Ok(Self::wrap(model, "cpu", String::new()))
    }

    fn wrap(model: Model, backend: &str, note: String) -> WasmModel {
        WasmModel {
            inner: Rc::new(Inner {
                model,
                backend: backend.into(),
                note,
                disposed: Cell::new(false),
            }),
        }
    }

    /// `"webgpu"` or `"cpu"`.
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        self.inner.backend.clone()
    }

    /// How WebGPU runs the heads over the bank: `"fused"` or `"stream"`; empty on the CPU or
    /// without a bank.
    #[wasm_bindgen(getter, js_name = gpuAttention)]
    pub fn gpu_attention(&self) -> String {
        match (self.inner.backend.as_str(), self.inner.model.gpu_attention()) {
            ("webgpu", Some(GpuAttention::Fused)) => "fused".into(),
            ("webgpu", Some(_)) => "stream".into(),
            _ => String::new(),
        }
    }

    /// Why the backend is not the one asked for (empty when it is).
    #[wasm_bindgen(getter)]
    pub fn note(&self) -> String {
        self.inner.note.clone()
    }

    /// Output width of `variant` (`"encoder"`, `"range"` or `"range+"`).
    pub fn dim(&self, variant: &str) -> Result<usize, JsValue> {
        Ok(self.inner.model.dim(Variant::parse(variant, 0.5)?))
    }

    /// Width of the high-resolution part of `variant`'s rows: their first columns (0 for the
    /// encoder alone). See `Model::high_dim`.
    #[wasm_bindgen(js_name = highDim)]
    pub fn high_dim(&self, variant: &str) -> Result<usize, JsValue> {
        Ok(self.inner.model.high_dim(Variant::parse(variant, 0.5)?))
    }

    /// Embeds points `lonlat` = [lon0, lat0, lon1, lat1, …] (degrees) as one batch; resolves
    /// to a `Float32Array` of `points × dim` values. The points are rows `first_row..` of the
    /// caller's input: a bad coordinate's error names the caller's row. `compute`: `"exact"`
    /// or `"int8"` (the score pass in int8 arithmetic against an int8 bank on the CPU).
    #[wasm_bindgen(js_name = embedBatch)]
    pub fn embed_batch(
        &self,
        lonlat: Vec<f64>,
        variant: String,
        beta: f32,
        first_row: usize,
        compute: Option<String>,
    ) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            if inner.disposed.get() {
                return Err(JsValue::from(Error::Disposed("the model was disposed".into())));
            }
            let variant = Variant::parse(&variant, beta).map_err(JsValue::from)?;
            let compute = Compute::parse(compute.as_deref().unwrap_or("exact")).map_err(JsValue::from)?;
            let out = inner
                .model
                .embed_async(&lonlat, variant, first_row, compute)
                .await
                .map_err(JsValue::from)?;
            if inner.disposed.get() {
                return Err(JsValue::from(Error::Disposed(
                    "the model was disposed during embed()".into(),
                )));
            }
            Ok(Float32Array::from(&out[..]).into())
        })
    }

    /// The `k` bank rows that contribute most to the embedding of (`lon`, `lat`) under
    /// `variant` (`"range"` or `"range+"` with `beta`); resolves to a `Float64Array` of
    /// `[row, weight, lon, lat]` × k, heaviest first.
    pub fn explain(&self, lon: f64, lat: f64, variant: String, beta: f32, k: usize) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            if inner.disposed.get() {
                return Err(JsValue::from(Error::Disposed("the model was disposed".into())));
            }
            let variant = Variant::parse(&variant, beta).map_err(JsValue::from)?;
            let top = inner
                .model
                .explain_async(lon, lat, variant, k)
                .await
                .map_err(JsValue::from)?;
            Ok(js_sys::Float64Array::from(&flatten(&top)[..]).into())
        })
    }

    /// The `k` bank rows most alike to `query` (cosine similarity) by their `by`: `"values"`
    /// (`query` as wide as the bank's values) or `"keys"` (as wide as its keys); resolves to a
    /// `Float64Array` of `[row, similarity, lon, lat]` × k, most alike first.
    #[wasm_bindgen(js_name = similarRows)]
    pub fn similar_rows(&self, query: Vec<f32>, by: String, k: usize) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            if inner.disposed.get() {
                return Err(JsValue::from(Error::Disposed("the model was disposed".into())));
            }
            let by = Compare::parse(&by).map_err(JsValue::from)?;
            let top = inner
                .model
                .similar_rows_async(&query, by, k)
                .await
                .map_err(JsValue::from)?;
            let flat: Vec<f64> = top
                .iter()
                .flat_map(|s| [s.row as f64, s.similarity as f64, s.lon as f64, s.lat as f64])
                .collect();
            Ok(js_sys::Float64Array::from(&flat[..]).into())
        })
    }

    /// The most points one `scoreShard` call takes for `variant` (with `beta`) in `compute`'s
    /// arithmetic.
    #[wasm_bindgen(js_name = shardBatch)]
    pub fn shard_batch(&self, variant: &str, beta: f32, compute: Option<String>) -> Result<usize, JsValue> {
        let compute = Compute::parse(compute.as_deref().unwrap_or("exact"))?;
        Ok(self
            .inner
            .model
            .shard_batch_with(Variant::parse(variant, beta)?, compute))
    }

    /// What a probe fitted on this model records of it (`Model::identity`).
    #[wasm_bindgen(getter)]
    pub fn identity(&self) -> String {
        self.inner.model.identity().to_string()
    }

    /// Rows in this model's bank (0 without one).
    #[wasm_bindgen(getter, js_name = bankRows)]
    pub fn bank_rows(&self) -> usize {
        self.inner.model.bank_rows()
    }

    /// Round 1 of a batch on this bank shard (see `model::shard`; CPU only): scores at most
    /// `shardBatch` points, rows `first_row..` of the caller's input. The round it returns
    /// holds its report and takes round 2 once (`accumulate` or `explain`).
    /// `exact_geo`: one byte per point, 1 where the geographic head ignores the cut-off
    /// (or empty).
    #[wasm_bindgen(js_name = scoreShard)]
    pub fn score_shard(
        &self,
        lonlat: Vec<f64>,
        variant: String,
        beta: f32,
        exact_geo: Vec<u8>,
        first_row: usize,
        compute: Option<String>,
    ) -> Result<ShardRound, JsValue> {
        self.check_live()?;
        let variant = Variant::parse(&variant, beta)?;
        let compute = Compute::parse(compute.as_deref().unwrap_or("exact"))?;
        let exact: Vec<bool> = exact_geo.iter().map(|&b| b != 0).collect();
        let scores = self
            .inner
            .model
            .score_shard_with(&lonlat, variant, (&exact, first_row), compute)?;
        Ok(ShardRound {
            owner: self.inner.clone(),
            scores: RefCell::new(Some(scores)),
        })
    }

    fn check_live(&self) -> Result<(), JsValue> {
        if self.inner.disposed.get() {
            return Err(Error::Disposed("the model was disposed".into()).into());
        }
        Ok(())
    }

    /// Marks the model disposed: later and running `embedBatch` calls reject. The memory is
    /// freed when the last pending call finishes.
    pub fn dispose(&self) {
        self.inner.disposed.set(true);
    }
}

/// `[row, weight, lon, lat]` per contribution.
fn flatten(top: &[crate::model::Contribution]) -> Vec<f64> {
    top.iter()
        .flat_map(|c| [c.row as f64, c.weight as f64, c.lon as f64, c.lat as f64])
        .collect()
}

/// One shard's round 1 for a batch (`scoreShard`): its report, and round 2 once. A round
/// belongs to the model that scored it; used a second time it is refused
/// (`invalid_argument`), so rounds can neither interleave nor repeat.
#[wasm_bindgen]
pub struct ShardRound {
    owner: Rc<Inner>,
    scores: RefCell<Option<ShardScores>>,
}

#[wasm_bindgen]
impl ShardRound {
    /// Each (head, point)'s largest score over the shard (−Infinity: no row), head-major.
    #[wasm_bindgen(getter)]
    pub fn max(&self) -> Result<Vec<f32>, JsValue> {
        self.read(|s| s.max().to_vec())
    }

    /// Each (head, point)'s `Σ exp(score − max)` over the shard, head-major.
    #[wasm_bindgen(getter)]
    pub fn sum(&self) -> Result<Vec<f64>, JsValue> {
        self.read(|s| s.sum().to_vec())
    }

    /// The points' normalised encodings, `points × encoder dim` (every shard has the same).
    #[wasm_bindgen(getter)]
    pub fn q(&self) -> Result<Vec<f32>, JsValue> {
        self.read(|s| s.q.clone())
    }

    /// Each head's share of the output.
    #[wasm_bindgen(getter)]
    pub fn weights(&self) -> Result<Vec<f32>, JsValue> {
        self.read(|s| s.head_weights.clone())
    }

    /// 1 for a head limited by the geographic cut-off.
    #[wasm_bindgen(getter)]
    pub fn pruned(&self) -> Result<Vec<u8>, JsValue> {
        self.read(|s| s.pruned.iter().map(|&p| p as u8).collect())
    }

    /// Round 2: this shard's part of the high-resolution vectors (`points × value dim`), with
    /// its coefficients from `combineShards`.
    pub fn accumulate(&self, coef: Vec<f32>) -> Result<Float32Array, JsValue> {
        let out = self.owner.model.accumulate_shard(self.take()?, &coef)?;
        Ok(Float32Array::from(&out[..]))
    }

    /// Round 2 for a round of one point: this shard's `k` heaviest rows with their weights in
    /// the whole bank, `[row, weight, lon, lat]` × k (rows counted within the shard).
    pub fn explain(&self, coef: Vec<f32>, k: usize) -> Result<js_sys::Float64Array, JsValue> {
        let top = self.owner.model.explain_shard(self.take()?, &coef, k)?;
        Ok(js_sys::Float64Array::from(&flatten(&top)[..]))
    }

    fn read<T>(&self, f: impl FnOnce(&ShardScores) -> T) -> Result<T, JsValue> {
        let scores = self.scores.borrow();
        Ok(f(scores.as_ref().ok_or_else(used_round)?))
    }

    fn take(&self) -> Result<ShardScores, JsValue> {
        if self.owner.disposed.get() {
            return Err(Error::Disposed("the model was disposed".into()).into());
        }
        Ok(self.scores.borrow_mut().take().ok_or_else(used_round)?)
    }
}

fn used_round() -> Error {
    Error::Invalid("this shard round was used already: score the batch again".into())
}

/// Verifies a bank file and cuts it into at most `parts` shards of contiguous rows, one per
/// CPU worker (see `bank::shard_cuts`), in row order. Each shard is its `header` followed by
/// the bank file's bytes `pieces` (`start, end, start, end, …`): the caller assembles it from
/// its own copy of the file, and the worker loads it with `loadShard`.
#[wasm_bindgen(js_name = shardBank)]
pub fn shard_bank(bytes: &[u8], parts: usize) -> Result<js_sys::Array, JsValue> {
    let cuts = bank::shard_cuts(bytes, "bank", parts)?;
    Ok(cuts
        .into_iter()
        .map(|(_, cut)| {
            JsValue::from(BankShard {
                header: cut.header,
                pieces: cut.pieces.iter().flat_map(|&(a, z)| [a as f64, z as f64]).collect(),
            })
        })
        .collect())
}

/// One shard of a bank file as `shardBank` cuts it.
#[wasm_bindgen]
pub struct BankShard {
    header: Vec<u8>,
    pieces: Vec<f64>,
}

#[wasm_bindgen]
impl BankShard {
    /// The shard file's first bytes: its safetensors header.
    #[wasm_bindgen(getter)]
    pub fn header(&self) -> Vec<u8> {
        self.header.clone()
    }

    /// The byte ranges of the bank file that follow the header, in order, as
    /// `start, end, start, end, …`.
    #[wasm_bindgen(getter)]
    pub fn pieces(&self) -> Vec<f64> {
        self.pieces.clone()
    }
}

/// Combines the shards' round-1 reports (`max` and `sum` each concatenated over the shards,
/// in shard order; `weights` and `pruned` as any shard reports them) into the coefficients
/// of each shard's round 2, concatenated in shard order. Its `missing` flags the points no
/// shard has a row near (score them again with `exact_geo`).
#[wasm_bindgen(js_name = combineShards)]
pub fn combine_shards(
    max: Vec<f32>,
    sum: Vec<f64>,
    weights: Vec<f32>,
    pruned: Vec<u8>,
    shards: usize,
) -> Result<CombinedFlat, JsValue> {
    let pruned: Vec<bool> = pruned.iter().map(|&p| p != 0).collect();
    let c = Combined::from_concatenated(&max, &sum, &weights, &pruned, shards)?;
    Ok(CombinedFlat {
        coef: c.coef.concat(),
        missing: c.missing.into_iter().map(u8::from).collect(),
    })
}

/// The output rows of a batch from its round 2 (see `model::add_shard_parts`): `parts` is
/// every shard's `accumulate` result concatenated, `q` the encodings any shard reported; the
/// points are rows `first_row..` of the caller's input.
#[wasm_bindgen(js_name = addShardParts)]
pub fn add_shard_parts_js(
    parts: Vec<f32>,
    shards: usize,
    q: Vec<f32>,
    points: usize,
    first_row: usize,
) -> Result<Float32Array, JsValue> {
    let rows = add_concatenated_parts(&parts, shards, &q, points, first_row)?;
    Ok(Float32Array::from(&rows[..]))
}

/// `combineShards`' result; each field reads as a typed array.
/// The shards' [`Combined`](crate::model::Combined) flattened for JavaScript.
#[wasm_bindgen(getter_with_clone, js_name = Combined)]
pub struct CombinedFlat {
    /// Every shard's coefficients, concatenated in shard order.
    pub coef: Vec<f32>,
    /// 1 for a point that no shard has a bank row near (within the cut-off).
    pub missing: Vec<u8>,
}

unsafe extern "C" {
    /// Synthesised by the linker: runs every static constructor of the module (burn's and
    /// cubecl's `inventory` registrations).
    fn __wasm_call_ctors();
}

/// Runs the static constructors once, when wasm-bindgen instantiates the module.
///
/// An export that calls `__wasm_call_ctors` also turns off the linker's "command-style"
/// heuristic, under which it wraps *every* export (ours and wasm-bindgen's own, down to its
/// allocator) in a call to all the constructors: about a thousand `inventory` submissions per
/// call from JavaScript.
#[wasm_bindgen(start)]
fn run_static_constructors() {
    // SAFETY: wasm-bindgen calls the start function once per instance, before any other
    // export; the constructors are run nowhere else once this call exists.
    unsafe { __wasm_call_ctors() }
}

/// `count` points (`[lon, lat, …]`) spread by area over a polygon's interior (`geo::polygon`):
/// its rings one after another in `rings` (flat `[lon, lat, …]`, each closed), `ring_lengths`
/// numbers each, the outer ring first; the same points for the same `seed`.
#[wasm_bindgen(js_name = samplePolygon)]
pub fn sample_polygon_js(
    rings: &[f64],
    ring_lengths: &[u32],
    count: usize,
    seed: f64,
) -> Result<js_sys::Float64Array, JsValue> {
    if !(seed.is_finite() && seed >= 0.0 && seed.fract() == 0.0) {
        return Err(Error::Invalid(format!("seed must be a whole number ≥ 0, got {seed}")).into());
    }
    let mut split = Vec::with_capacity(ring_lengths.len());
    let mut at = 0usize;
    for &len in ring_lengths {
        let end = at + len as usize;
        let ring = rings
            .get(at..end)
            .ok_or_else(|| Error::Invalid("polygon: ring lengths past the coordinates".into()))?;
        split.push(ring.to_vec());
        at = end;
    }
    let points = crate::geo::polygon::sample_polygon(&split, count, seed as u64)?;
    Ok(js_sys::Float64Array::from(&points[..]))
}

/// A GeoTIFF (`export::geotiff`) of `width × height` pixels of `bands` samples, row by row from
/// the north-west corner: `bytes` (a picture) or `floats`; `crs` `"lonlat"` (EPSG:4326) or
/// `"mercator"` (EPSG:3857); `geo` = `[x, y, width, height]`: the north-west corner and a
/// pixel's size in the CRS's units; `metadata` names and values, alternately.
#[allow(clippy::too_many_arguments)]
#[wasm_bindgen(js_name = geoTiff)]
pub fn geo_tiff(
    width: usize,
    height: usize,
    bands: usize,
    bytes: Option<Vec<u8>>,
    floats: Option<Vec<f32>>,
    crs: &str,
    geo: &[f64],
    nodata: Option<String>,
    metadata: Vec<String>,
) -> Result<Vec<u8>, JsValue> {
    use crate::export::geotiff::{Crs, RasterSpec, SampleKind, Samples};
    let crs = match crs {
        "lonlat" => Crs::LonLat,
        "mercator" => Crs::WebMercator,
        other => {
            return Err(Error::Invalid(format!("GeoTIFF: unknown projection {other:?} (lonlat or mercator)")).into());
        }
    };
    let samples = match (&bytes, &floats) {
        (Some(b), None) => Samples::U8(b),
        (None, Some(f)) => Samples::F32(f),
        _ => return Err(Error::Invalid("GeoTIFF: bytes or floats, one of the two".into()).into()),
    };
    let [x, y, w, h] = geo else {
        return Err(Error::Invalid("GeoTIFF: geo is [x, y, pixel width, pixel height]".into()).into());
    };
    let spec = RasterSpec {
        width,
        height,
        bands,
        kind: match samples {
            Samples::U8(_) => SampleKind::U8,
            Samples::F32(_) => SampleKind::F32,
        },
        crs,
        origin: (*x, *y),
        pixel: (*w, *h),
        nodata,
        metadata: metadata
            .chunks(2)
            .map(|p| (p[0].clone(), p.get(1).cloned().unwrap_or_default()))
            .collect(),
    };
    Ok(spec.to_bytes(samples)?)
}

/// A fitted probe (`crate::probe`): the JS `Probe` (js/probe.js) embeds the points and hands
/// their rows here.
#[wasm_bindgen]
pub struct WasmProbe {
    inner: Probe,
}

#[wasm_bindgen]
impl WasmProbe {
    /// Fits a probe on `embeddings` (`rows × dim`) with `classes` (classify) or `values`
    /// (regress); `method` null for the kind's default. `model`, `variant` and `beta`: what the
    /// embeddings are (`WasmModel.identity`).
    #[allow(clippy::too_many_arguments)]
    pub fn fit(
        embeddings: &[f32],
        dim: usize,
        classes: Option<Vec<String>>,
        values: Option<Vec<f64>>,
        kind: &str,
        method: Option<String>,
        c: f64,
        alpha: f64,
        k: usize,
        standardize: bool,
        model: String,
        variant: String,
        beta: f32,
    ) -> Result<WasmProbe, JsValue> {
        let options = FitOptions::parse(kind, method.as_deref(), (c, alpha), k, standardize)?;
        let labels = Labels::from_parts(classes, values)?;
        let origin = Origin { model, variant, beta };
        Ok(WasmProbe {
            inner: Probe::fit(embeddings, dim, &labels, &options, origin)?,
        })
    }

    /// A probe from `json` (`json()`'s text) for the model whose identity is `model`.
    #[wasm_bindgen(js_name = fromJson)]
    pub fn from_json(json: &str, model: &str) -> Result<WasmProbe, JsValue> {
        Ok(WasmProbe {
            inner: Probe::from_json(json, model)?,
        })
    }

    /// The probe as JSON text.
    pub fn json(&self) -> Result<String, JsValue> {
        Ok(self.inner.to_json()?)
    }

    /// The probe's answer for `embeddings` (`rows × dim`).
    pub fn predict(&self, embeddings: &[f32]) -> Result<WasmPrediction, JsValue> {
        Ok(match self.inner.predict(embeddings)? {
            Prediction::Classes { labels, probabilities } => WasmPrediction {
                labels: labels.iter().map(|&l| l as u32).collect(),
                probabilities,
                values: Vec::new(),
            },
            Prediction::Values(values) => WasmPrediction {
                labels: Vec::new(),
                probabilities: Vec::new(),
                values,
            },
        })
    }

    /// Spatial block cross-validation of this probe's kind and options on `lonlat` (their
    /// `embeddings` and labels): `[train, test, score1, score2]` per fold, with `cvMetric`.
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = crossValidate)]
    pub fn cross_validate(
        &self,
        lonlat: &[f64],
        embeddings: &[f32],
        classes: Option<Vec<String>>,
        values: Option<Vec<f64>>,
        block_degrees: f64,
        folds: usize,
        seed: f64,
    ) -> Result<js_sys::Float64Array, JsValue> {
        if !(seed.is_finite() && seed >= 0.0 && seed.fract() == 0.0) {
            return Err(Error::Invalid(format!("seed must be a whole number ≥ 0, got {seed}")).into());
        }
        let labels = Labels::from_parts(classes, values)?;
        let cv = CvOptions {
            block_degrees,
            folds,
            seed: seed as u64,
        };
        let report = cross_validate(lonlat, (embeddings, self.inner.dim), &labels, &self.inner.options, &cv)?;
        let flat: Vec<f64> = report
            .folds
            .iter()
            .flat_map(|f| [f.train as f64, f.test as f64, f.scores[0], f.scores[1]])
            .collect();
        Ok(js_sys::Float64Array::from(&flat[..]))
    }

    /// The names of a fold's two scores: `accuracy`, `macroF1` or `r2`, `rmse`.
    #[wasm_bindgen(getter, js_name = scoreNames)]
    pub fn score_names(&self) -> Vec<String> {
        self.inner
            .options
            .kind
            .score_names()
            .iter()
            .map(|n| n.to_string())
            .collect()
    }

    /// The class names, sorted; empty for regression.
    #[wasm_bindgen(getter)]
    pub fn classes(&self) -> Vec<String> {
        self.inner.classes.clone()
    }

    /// `classify`, `regress` or `similar`.
    #[wasm_bindgen(getter)]
    pub fn kind(&self) -> String {
        self.inner.options.kind.name().into()
    }

    /// `logistic`, `knn`, `ridge` or `centroid`.
    #[wasm_bindgen(getter)]
    pub fn method(&self) -> String {
        self.inner.options.method.name().into()
    }

    /// The variant and β whose embeddings the probe reads.
    #[wasm_bindgen(getter)]
    pub fn variant(&self) -> String {
        self.inner.origin.variant.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn beta(&self) -> f32 {
        self.inner.origin.beta
    }
}

/// What a probe says of some rows: `labels` (class indices) and `probabilities` (`rows ×
/// classes`), or `values`.
#[wasm_bindgen]
pub struct WasmPrediction {
    labels: Vec<u32>,
    probabilities: Vec<f64>,
    values: Vec<f64>,
}

#[wasm_bindgen]
impl WasmPrediction {
    #[wasm_bindgen(getter)]
    pub fn labels(&self) -> Vec<u32> {
        self.labels.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn probabilities(&self) -> Vec<f64> {
        self.probabilities.clone()
    }

    #[wasm_bindgen(getter)]
    pub fn values(&self) -> Vec<f64> {
        self.values.clone()
    }
}
