//! Every `#[wasm_bindgen]` item of the crate: the low-level JavaScript API. `js/georange.js`
//! wraps it in the public `GeoRange` class (downloads with progress, caching, batching,
//! a queue); most users never call this file's exports directly.
//!
//! Errors: every fallible export returns `Result<_, JsError>`, so a georange [`Error`]
//! reaches JavaScript as an `Error` with its one-line message.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Float32Array, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::{Backend, Bank, Encoder, Error, GpuAttention, GpuPrecision, Model, Variant, flash};

fn web_sys_log(message: &str) {
    js_sys::Reflect::get(&js_sys::global(), &"console".into())
        .and_then(|console| js_sys::Reflect::get(&console, &"info".into()).map(|f| (console, f)))
        .ok()
        .and_then(|(console, info)| info.dyn_into::<js_sys::Function>().ok().map(|f| (console, f)))
        .map(|(console, f)| f.call1(&console, &message.into()));
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
    ) -> Result<WasmModel, JsError> {
        let precision = gpu_precision.as_deref().map(GpuPrecision::parse).transpose()?;
        let attention = gpu_attention.as_deref().map(GpuAttention::parse).transpose()?;
        if attention == Some(GpuAttention::Flash) {
            return Err(flash::unavailable().into());
        }
        let encoder = Encoder::from_bytes(&encoder, "encoder")?;
        let bank = bank.map(|b| Bank::from_bytes(&b, "bank")).transpose()?;
        let (backend, mut note) = match device.as_str() {
            "cpu" => (Backend::Cpu, String::new()),
            "webgpu" | "gpu" | "wgpu" => (Backend::Wgpu, String::new()),
            "auto" => match Backend::Wgpu.device_async().await {
                Ok(_) => (Backend::Wgpu, String::new()),
                Err(e) => {
                    // The page shows this line; the adapter details go to the console.
                    web_sys_log(&format!("georange: {e}"));
                    (
                        Backend::Cpu,
                        "WebGPU unavailable (no usable adapter); using the CPU".to_string(),
                    )
                }
            },
            other => return Err(Error::Invalid(format!("unknown device {other:?} (auto, webgpu or cpu)")).into()),
        };
        let (dev, dtype) = backend.device_async().await?;
        let mut model = match (backend, precision, &bank) {
            (Backend::Wgpu, Some(p), Some(b)) => match Model::with_gpu_precision(&encoder, b, &dev, dtype, p) {
                Ok(m) => m,
                Err(e) => {
                    web_sys_log(&format!("georange: {e}"));
                    note = format!("{p:?} unavailable on this GPU ({e}); the bank stays f32");
                    Model::new(&encoder, Some(b), &dev, dtype)?
                }
            },
            _ => Model::new(&encoder, bank.as_ref(), &dev, dtype)?,
        };
        model.set_geo_cutoff(geo_cutoff_deg)?;
        if let (Backend::Wgpu, Some(_)) = (backend, &bank) {
            // Fused is the default on WebGPU (BENCHMARKS.md: 4–9× the stream in Chromium); should
            // it fail, the stream runs, which is only worth a note when fused was asked for.
            let mode = attention.unwrap_or(GpuAttention::Fused);
            if let Err(e) = model.set_gpu_attention(mode) {
                web_sys_log(&format!("georange: {e}"));
                if attention.is_some() {
                    note = format!("{mode:?} attention unavailable ({e}); the bank is streamed");
                }
            }
        }
        let backend = match backend {
            Backend::Cpu => "cpu",
            Backend::Wgpu => "webgpu",
        };
        Ok(WasmModel {
            inner: Rc::new(Inner {
                model,
                backend: backend.into(),
                note,
                disposed: Cell::new(false),
            }),
        })
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
    pub fn dim(&self, model: &str) -> Result<usize, JsError> {
        Ok(self.inner.model.dim(Variant::parse(model, 0.5)?))
    }

    /// Embeds points `lonlat` = [lon0, lat0, lon1, lat1, …] (degrees) as one batch; resolves
    /// to a `Float32Array` of `points × dim` values.
    #[wasm_bindgen(js_name = embedBatch)]
    pub fn embed_batch(&self, lonlat: Vec<f64>, model: String, beta: f32) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move {
            if inner.disposed.get() {
                return Err(JsError::new("the model was disposed").into());
            }
            let variant = Variant::parse(&model, beta).map_err(JsError::from)?;
            let out = inner
                .model
                .embed_async(&lonlat, variant, usize::MAX)
                .await
                .map_err(JsError::from)?;
            if inner.disposed.get() {
                return Err(JsError::new("the model was disposed during embed()").into());
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
                return Err(JsError::new("the model was disposed").into());
            }
            let variant = Variant::parse(&model, beta).map_err(JsError::from)?;
            let top = inner
                .model
                .explain_async(lon, lat, variant, k)
                .await
                .map_err(JsError::from)?;
            let flat: Vec<f64> = top
                .iter()
                .flat_map(|c| [c.row as f64, c.weight as f64, c.lon as f64, c.lat as f64])
                .collect();
            Ok(js_sys::Float64Array::from(&flat[..]).into())
        })
    }

    /// Marks the model disposed: later and running `embedBatch` calls reject. The memory is
    /// freed when the last pending call finishes.
    pub fn dispose(&self) {
        self.inner.disposed.set(true);
    }
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
/// call from JavaScript, which were half of a single point's time (BENCHMARKS.md).
#[wasm_bindgen(start)]
fn run_static_constructors() {
    // SAFETY: wasm-bindgen calls the start function once per instance, before any other
    // export; the constructors are run nowhere else once this call exists.
    unsafe { __wasm_call_ctors() }
}
