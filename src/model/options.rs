//! The one load policy: what a caller asks for (device, GPU precision and route, cut-off),
//! what it gets, and the notes that say why the two differ. The CLI, Python and the browser
//! build all load through [`Model::load`] / [`Model::load_async`]; where the model runs is
//! decided by [`super::device::plan_device`].

use burn::tensor::{DType, Device};

use super::Model;
use super::device::{DeviceFacts, DeviceRequest, Workers, plan_device};
use crate::attention::GpuAttention;
use crate::backend::Backend;
use crate::bank::{Bank, GpuPrecision};
use crate::encoder::Encoder;
use crate::error::Result;

/// How a model is to be loaded. The default: the CPU, the bank as its file stores it, exact.
#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Where to compute: the CPU, the GPU (or an error), or `Auto`: the GPU, else the CPU
    /// with a note ([`super::device::NO_GPU_NOTE`]) when no GPU adapter can be had.
    pub device: DeviceRequest,
    /// How a GPU holds the bank ([`Model::with_gpu_precision`]); ignored on the CPU unless
    /// [`strict`](Self::strict).
    pub gpu_precision: Option<GpuPrecision>,
    /// How a GPU runs the exact heads ([`Model::set_gpu_attention`]); `None`: this build's
    /// default ([`default_gpu_attention`]).
    pub gpu_attention: Option<GpuAttention>,
    /// Approximate RANGE+ ([`Model::set_geo_cutoff`]); `None`: exact.
    pub geo_cutoff_deg: Option<f64>,
    /// Whether what was asked for must be had exactly (the CLI: any refusal is the load's
    /// error) or may be made do with (the browser: a precision or route the GPU refuses falls
    /// back to f32 or the stream, and a note says so).
    pub strict: bool,
}

/// A loaded model, the backend it runs on, and why it differs from what was asked for.
pub struct Loaded {
    pub model: Model,
    pub backend: Backend,
    /// One line each, for the user (the browser's `note`).
    pub notes: Vec<String>,
    /// Failures that changed nothing the user asked for (a default route that could not be
    /// set up), for a console.
    pub details: Vec<String>,
}

/// The GPU route a build takes unless told otherwise.
///
/// Our fused kernel in the browser, where each of the stream's dispatches crosses to the GPU
/// process; the stream natively until a real GPU has been measured (ARCHITECTURE.md).
pub fn default_gpu_attention() -> GpuAttention {
    if cfg!(target_arch = "wasm32") {
        GpuAttention::Fused
    } else {
        GpuAttention::Stream
    }
}

impl Model {
    /// Loads `encoder` and `bank` (taken over: nothing is held twice) as `options` ask, on a
    /// device acquired here (natively).
    pub fn load(encoder: Encoder, bank: Option<Bank>, options: &LoadOptions) -> Result<Loaded> {
        let gpu = match options.device {
            DeviceRequest::Cpu => None,
            DeviceRequest::Auto | DeviceRequest::Webgpu => Some(Backend::Wgpu.device()),
        };
        Self::load_on(encoder, bank, options, gpu)
    }

    /// [`load`](Self::load) with the device acquired asynchronously (a browser's WebGPU).
    pub async fn load_async(encoder: Encoder, bank: Option<Bank>, options: &LoadOptions) -> Result<Loaded> {
        let gpu = match options.device {
            DeviceRequest::Cpu => None,
            DeviceRequest::Auto | DeviceRequest::Webgpu => Some(Backend::Wgpu.device_async().await),
        };
        Self::load_on(encoder, bank, options, gpu)
    }

    fn load_on(
        encoder: Encoder,
        bank: Option<Bank>,
        options: &LoadOptions,
        gpu: Option<Result<(Device, DType)>>,
    ) -> Result<Loaded> {
        let (mut notes, mut details) = (Vec::new(), Vec::new());
        let (backend, (device, dtype)) = match gpu {
            None => (Backend::Cpu, Backend::Cpu.device()?),
            Some(Ok(d)) => (Backend::Wgpu, d),
            Some(Err(e)) if options.device == DeviceRequest::Auto => {
                // The adapter request was the probe: no adapter, as far as the plan is concerned.
                details.push(e.to_string());
                let facts = DeviceFacts {
                    gpu_api: true,
                    ..DeviceFacts::default()
                };
                let plan = plan_device(DeviceRequest::Auto, Workers::Count(1), &facts)?;
                notes.extend(plan.notes);
                (plan.backend, plan.backend.device()?)
            }
            Some(Err(e)) => return Err(e),
        };
        let on_gpu = backend == Backend::Wgpu;
        let has_bank = bank.is_some();
        let mut model = match (options.gpu_precision, bank) {
            (Some(p), Some(b)) if on_gpu || options.strict => {
                match Model::with_gpu_precision(&encoder, &b, &device, dtype, p) {
                    Ok(m) => m,
                    Err(e) if !options.strict => {
                        details.push(e.to_string());
                        notes.push(format!("{p:?} unavailable on this GPU ({e}); the bank stays f32"));
                        Model::from_owned(encoder, Some(b), &device, dtype)?
                    }
                    Err(e) => return Err(e),
                }
            }
            (p, bank) => {
                let mut m = Model::from_owned(encoder, bank, &device, dtype)?;
                if let (Some(p), false, true) = (p, has_bank, options.strict) {
                    m.set_gpu_precision(p)?; // refused: there is no bank to hold
                }
                m
            }
        };
        model.set_geo_cutoff(options.geo_cutoff_deg)?;
        if has_bank && (on_gpu || (options.strict && options.gpu_attention.is_some())) {
            let mode = options.gpu_attention.unwrap_or_else(default_gpu_attention);
            if let Err(e) = model.set_gpu_attention(mode) {
                if options.strict {
                    return Err(e);
                }
                details.push(e.to_string());
                if options.gpu_attention.is_some() {
                    notes.push(format!("{mode:?} attention unavailable ({e}); the bank is streamed"));
                }
            }
        }
        Ok(Loaded {
            model,
            backend,
            notes,
            details,
        })
    }
}

impl LoadOptions {
    /// Parses a device name ([`DeviceRequest::parse`]): `cpu`, `webgpu` (also `wgpu`, `gpu`),
    /// or `auto` (the GPU, else the CPU with a note).
    pub fn with_device(mut self, name: &str) -> Result<Self> {
        self.device = DeviceRequest::parse(name)?;
        Ok(self)
    }
}
