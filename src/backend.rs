//! Choosing the device a model runs on.

use burn::tensor::{DType, Device, Tensor, TensorData};

use crate::error::{Error, Result};

/// The compute backends georange can run on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Backend {
    /// burn's pure-Rust CPU backend (flex); the encoder runs in f64.
    #[default]
    Cpu,
    /// burn-wgpu (Vulkan/Metal natively, WebGPU in the browser); everything in f32.
    Wgpu,
}

impl Backend {
    /// Parses `cpu` or `webgpu` (also `wgpu`, `gpu`).
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "cpu" => Ok(Backend::Cpu),
            "webgpu" | "wgpu" | "gpu" => Ok(Backend::Wgpu),
            other => Err(Error::Invalid(format!(
                "unknown backend {other:?} (expected cpu or webgpu)"
            ))),
        }
    }

    /// The one name each binding gives this backend: `"cpu"` or `"webgpu"` (the API wgpu
    /// implements; natively on Vulkan or Metal).
    pub const fn name(self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::Wgpu => "webgpu",
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

/// A host matrix as a device tensor of `dtype`.
pub fn matrix_on_device(data: Vec<f32>, shape: [usize; 2], device: &Device, dtype: DType) -> Tensor<2> {
    Tensor::from_data(TensorData::new(data, shape), (device, dtype))
}

/// The most bytes one buffer may hold on `device`: cubecl's page, the smaller of the GPU's
/// largest buffer and its largest storage binding (WebGPU guarantees 128 MiB; Mesa's lavapipe
/// allows no more). `None`: unknown, or no limit to mind (the CPU; the native `vulkan` build,
/// whose GPUs allow gigabytes).
pub fn max_buffer_bytes(device: &Device) -> Option<usize> {
    limits::max_buffer_bytes(device)
}

#[cfg(gpu_kernel)]
mod limits {
    use burn::backend::Cube;
    use burn::tensor::{DType, Device, Tensor};

    pub fn max_buffer_bytes(device: &Device) -> Option<usize> {
        let probe = Tensor::<2>::zeros([1, 1], (device, DType::F32))
            .try_into_primitive::<Cube>()
            .ok()?;
        usize::try_from(probe.client.properties().memory.max_page_size).ok()
    }
}

#[cfg(not(gpu_kernel))]
mod limits {
    pub fn max_buffer_bytes(_: &burn::tensor::Device) -> Option<usize> {
        None
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
        Error::Unavailable(format!("no usable GPU adapter (wgpu: {e:?})"))
    }

    /// The runtime was registered by an earlier (or concurrent) call: its default device
    /// is the one we want.
    fn already_initialized(e: &impl std::fmt::Debug) -> bool {
        format!("{e:?}").contains("already initialized")
    }

    // A device without waiting: natively, made here; in a browser only the one
    // `acquire_async` made (WebGPU has no blocking calls).
    #[cfg(not(target_arch = "wasm32"))]
    mod blocking {
        use super::*;

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
    }
    #[cfg(target_arch = "wasm32")]
    mod blocking {
        use super::*;

        pub fn native() -> Result<(Device, DType)> {
            cached().ok_or_else(|| Error::Backend("in a browser the GPU must be acquired with device_async".into()))
        }
    }
    pub use blocking::native;

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
