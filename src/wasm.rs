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

use crate::model::{Compare, ShardScores, assemble, combine};
use crate::model::LoadOptions;
use crate::{Backend, Bank, Encoder, Error, GpuAttention, GpuPrecision, Model, Variant, bank};

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

/// The note of a page that asked for any device and got the CPU for want of a GPU adapter.
#[wasm_bindgen(js_name = noGpuNote)]
pub fn no_gpu_note() -> String {
    crate::model::NO_GPU_NOTE.into()
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
    /// A bank shard's first round, kept for its second (`scoreShard`, then `accumulateShard`).
    shard_round: RefCell<Option<ShardScores>>,
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
        let backend = match loaded.backend {
            Backend::Cpu => "cpu",
            Backend::Wgpu => "webgpu",
        };
        let note = loaded.notes.join("; ");
        Ok(Self::wrap(loaded.model, backend, note))
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
                shard_round: RefCell::new(None),
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

    /// Output width of `model` (`"encoder"`, `"range"` or `"range+"`).
    pub fn dim(&self, model: &str) -> Result<usize, JsValue> {
        Ok(self.inner.model.dim(Variant::parse(model, 0.5)?))
    }

    /// Embeds points `lonlat` = [lon0, lat0, lon1, lat1, …] (degrees) as one batch; resolves
    /// to a `Float32Array` of `points × dim` values.
    #[wasm_bindgen(js_name = embedBatch)]
    pub fn embed_batch(&self, lonlat: Vec<f64>, model: String, beta: f32) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            if inner.disposed.get() {
                return Err(JsValue::from(Error::Disposed("the model was disposed".into())));
            }
            let variant = Variant::parse(&model, beta).map_err(JsValue::from)?;
            let out = inner
                .model
                .embed_async(&lonlat, variant, usize::MAX)
                .await
                .map_err(JsValue::from)?;
            if inner.disposed.get() {
                return Err(JsValue::from(Error::Disposed("the model was disposed during embed()".into())));
            }
            Ok(Float32Array::from(&out[..]).into())
        })
    }

    /// The `k` bank rows that contribute most to the embedding of (`lon`, `lat`) under
    /// `model` (`"range"` or `"range+"` with `beta`); resolves to a `Float64Array` of
    /// `[row, weight, lon, lat]` × k, heaviest first.
    pub fn explain(&self, lon: f64, lat: f64, model: String, beta: f32, k: usize) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            if inner.disposed.get() {
                return Err(JsValue::from(Error::Disposed("the model was disposed".into())));
            }
            let variant = Variant::parse(&model, beta).map_err(JsValue::from)?;
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
            let top = inner.model.similar_rows_async(&query, by, k).await.map_err(JsValue::from)?;
            let flat: Vec<f64> = top
                .iter()
                .flat_map(|s| [s.row as f64, s.similarity as f64, s.lon as f64, s.lat as f64])
                .collect();
            Ok(js_sys::Float64Array::from(&flat[..]).into())
        })
    }

    /// The most points one `scoreShard` call takes for `model` (with `beta`).
    #[wasm_bindgen(js_name = shardBatch)]
    pub fn shard_batch(&self, model: &str, beta: f32) -> Result<usize, JsValue> {
        Ok(self.inner.model.shard_batch(Variant::parse(model, beta)?))
    }

    /// Rows in this model's bank (0 without one).
    #[wasm_bindgen(getter, js_name = bankRows)]
    pub fn bank_rows(&self) -> usize {
        self.inner.model.bank_rows()
    }

    /// Round 1 of a batch on this bank shard (see `model::shard`; CPU only): scores at most
    /// `shardBatch` points and keeps them for `accumulateShard` / `explainShard`.
    /// `exact_geo`: one byte per point, 1 where the geographic head ignores the cut-off
    /// (or empty).
    #[wasm_bindgen(js_name = scoreShard)]
    pub fn score_shard(
        &self,
        lonlat: Vec<f64>,
        model: String,
        beta: f32,
        exact_geo: Vec<u8>,
    ) -> Result<ShardReport, JsValue> {
        self.check_live()?;
        let variant = Variant::parse(&model, beta)?;
        let exact: Vec<bool> = exact_geo.iter().map(|&b| b != 0).collect();
        let scores = self.inner.model.score_shard(&lonlat, variant, &exact)?;
        let report = ShardReport {
            max: scores.max().to_vec(),
            sum: scores.sum().to_vec(),
            q: scores.q.clone(),
            weights: scores.head_weights.clone(),
            pruned: scores.pruned.iter().map(|&p| p as u8).collect(),
        };
        *self.inner.shard_round.borrow_mut() = Some(scores);
        Ok(report)
    }

    /// Round 2 of the last `scoreShard` batch: this shard's part of the high-resolution
    /// vectors (`points × value dim`), with its coefficients from `combineShards`.
    #[wasm_bindgen(js_name = accumulateShard)]
    pub fn accumulate_shard(&self, coef: Vec<f32>) -> Result<Float32Array, JsValue> {
        self.check_live()?;
        let round = self.inner.shard_round.borrow_mut().take().ok_or_else(no_round)?;
        let out = self.inner.model.accumulate_shard(&round, &coef)?;
        Ok(Float32Array::from(&out[..]))
    }

    /// Round 2 for the single point of the last `scoreShard` call: this shard's `k` heaviest
    /// rows with their weights in the whole bank, `[row, weight, lon, lat]` × k (rows counted
    /// within the shard).
    #[wasm_bindgen(js_name = explainShard)]
    pub fn explain_shard(&self, coef: Vec<f32>, k: usize) -> Result<js_sys::Float64Array, JsValue> {
        self.check_live()?;
        let round = self.inner.shard_round.borrow_mut().take().ok_or_else(no_round)?;
        let top = self.inner.model.explain_shard(&round, &coef, k)?;
        Ok(js_sys::Float64Array::from(&flatten(&top)[..]))
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

fn no_round() -> Error {
    Error::Invalid("no scored batch on this shard: call scoreShard first".into())
}

/// What one bank shard reports from round 1 (`scoreShard`); `combineShards` takes every
/// shard's. Per (head, point) arrays are head-major; each field reads as a typed array.
#[wasm_bindgen(getter_with_clone)]
pub struct ShardReport {
    /// Each (head, point)'s largest score over the shard (−Infinity: no row).
    pub max: Vec<f32>,
    /// Each (head, point)'s `Σ exp(score − max)` over the shard.
    pub sum: Vec<f64>,
    /// The points' normalised encodings, `points × encoder dim` (every shard has the same).
    pub q: Vec<f32>,
    /// Each head's share of the output.
    pub weights: Vec<f32>,
    /// 1 for a head limited by the geographic cut-off.
    pub pruned: Vec<u8>,
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
    if shards == 0 || !max.len().is_multiple_of(shards) || sum.len() != max.len() {
        return Err(Error::Mismatch(format!(
            "{} maxima and {} sums for {shards} shards",
            max.len(),
            sum.len()
        ))
        .into());
    }
    let len = max.len() / shards;
    let maxes: Vec<&[f32]> = max.chunks(len.max(1)).collect();
    let sums: Vec<&[f64]> = sum.chunks(len.max(1)).collect();
    let pruned: Vec<bool> = pruned.iter().map(|&p| p != 0).collect();
    let c = combine(&maxes, &sums, &weights, &pruned)?;
    Ok(CombinedFlat {
        coef: c.coef.concat(),
        missing: c.missing.into_iter().map(u8::from).collect(),
    })
}

/// The output rows of a batch from its round 2 (see `model::assemble`): `parts` is every
/// shard's `accumulateShard` result concatenated, `q` the encodings any shard reported.
#[wasm_bindgen(js_name = assembleShards)]
pub fn assemble_shards(parts: Vec<f32>, shards: usize, q: Vec<f32>, points: usize) -> Result<Float32Array, JsValue> {
    if shards == 0 || !parts.len().is_multiple_of(shards) || parts.is_empty() {
        return Err(Error::Mismatch(format!("{} values for {shards} shards", parts.len())).into());
    }
    let parts: Vec<&[f32]> = parts.chunks((parts.len() / shards).max(1)).collect();
    Ok(Float32Array::from(&assemble(&parts, &q, points)?[..]))
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
