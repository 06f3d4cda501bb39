//! Choosing the device a model runs on.

use burn::tensor::{DType, Device};

use crate::error::{Error, Result};

/// The compute backends georange can run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// burn's pure-Rust CPU backend (flex); the encoder runs in f64.
    Cpu,
    /// burn-wgpu (Vulkan/Metal natively, WebGPU in the browser); everything in f32.
    Wgpu,
}

impl Backend {
    /// Parses `cpu` or `wgpu`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "cpu" => Ok(Backend::Cpu),
            "wgpu" | "webgpu" | "gpu" => Ok(Backend::Wgpu),
            other => Err(Error::Invalid(format!(
                "unknown backend {other:?} (expected cpu or wgpu)"
            ))),
        }
    }

    /// The device and the dtype the encoder computes in (native; in a browser use
    /// [`Backend::device_async`]).
    pub fn device(self) -> Result<(Device, DType)> {
        match self {
            Backend::Cpu => Ok(cpu()),
            Backend::Wgpu => gpu::native(),
        }
    }

    /// The device, acquired asynchronously (required for WebGPU in a browser).
    pub async fn device_async(self) -> Result<(Device, DType)> {
        match self {
            Backend::Cpu => Ok(cpu()),
            Backend::Wgpu => gpu::acquire_async().await,
        }
    }
}

fn cpu() -> (Device, DType) {
    (Device::flex(), DType::F64)
}

#[cfg(feature = "wgpu")]
mod gpu {
    use super::*;
    use std::sync::Mutex;

    /// Compute dtype of the encoder on a GPU: WebGPU and most GPUs have no f64.
    const GPU_DTYPE: DType = DType::F32;

    /// burn registers a wgpu runtime once per process; later loads reuse its device.
    static DEVICE: Mutex<Option<Device>> = Mutex::new(None);

    fn cached() -> Option<(Device, DType)> {
        DEVICE.lock().ok()?.clone().map(|d| (d, GPU_DTYPE))
    }

    fn remember(d: Device) -> (Device, DType) {
        if let Ok(mut slot) = DEVICE.lock() {
            *slot = Some(d.clone());
        }
        (d, GPU_DTYPE)
    }

    fn no_adapter(e: impl std::fmt::Debug) -> Error {
        Error::Backend(format!("no usable GPU adapter (wgpu: {e:?})"))
    }

    /// The runtime was registered by an earlier (or concurrent) call: its default device
    /// is the one we want.
    fn already_initialized(e: &impl std::fmt::Debug) -> bool {
        format!("{e:?}").contains("already initialized")
    }

    #[cfg(not(target_arch = "wasm32"))]
    pub fn native() -> Result<(Device, DType)> {
        // Hold the lock while initialising so that concurrent callers wait for one device.
        let mut slot = DEVICE
            .lock()
            .map_err(|_| Error::Backend("GPU device lock poisoned".into()))?;
        if let Some(d) = slot.clone() {
            return Ok((d, GPU_DTYPE));
        }
        let d = match Device::wgpu_options().init() {
            Ok(d) => d,
            Err(e) if already_initialized(&e) => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
            Err(e) => return Err(no_adapter(e)),
        };
        *slot = Some(d.clone());
        Ok((d, GPU_DTYPE))
    }

    #[cfg(target_arch = "wasm32")]
    pub fn native() -> Result<(Device, DType)> {
        cached().ok_or_else(|| Error::Backend("in a browser the GPU must be acquired with device_async".into()))
    }

    pub async fn acquire_async() -> Result<(Device, DType)> {
        if let Some(d) = cached() {
            return Ok(d);
        }
        let d = match Device::wgpu_options().init_async().await {
            Ok(d) => d,
            Err(e) if already_initialized(&e) => Device::wgpu(burn::tensor::DeviceKind::DefaultDevice),
            Err(e) => return Err(no_adapter(e)),
        };
        Ok(remember(d))
    }
}

#[cfg(not(feature = "wgpu"))]
mod gpu {
    use super::*;

    fn missing() -> Error {
        Error::Invalid("this build has no wgpu backend (build with --features wgpu); use --backend cpu".into())
    }

    pub fn native() -> Result<(Device, DType)> {
        Err(missing())
    }

    pub async fn acquire_async() -> Result<(Device, DType)> {
        Err(missing())
    }
}
