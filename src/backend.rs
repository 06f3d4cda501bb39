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

    /// The device and the dtype the encoder computes in.
    pub fn device(self) -> Result<(Device, DType)> {
        match self {
            Backend::Cpu => Ok((Device::flex(), DType::F64)),
            Backend::Wgpu => Err(Error::Invalid(
                "this build has no wgpu backend (the WebGPU path is not part of this build yet); use --backend cpu"
                    .into(),
            )),
        }
    }
}
