//! The [`GpuAttention::Fused`](super::GpuAttention::Fused) route in a build without it (no
//! `wgpu` feature, or the `vulkan` build, whose fusion wraps the device tensors our kernel
//! reads): the same items, and setting the route up says why it is not here.

use burn::tensor::{Device, Tensor};

use super::Against;
use crate::bank::BankView;
use crate::error::{Error, Result};

/// Never built in this build: [`FusedBank::new`] refuses.
pub enum FusedBank {}

impl FusedBank {
    /// Always [`Error::Unavailable`] in this build.
    pub fn new(_: &BankView, _: &[f32], _: &Device) -> Result<Self> {
        Err(Error::Unavailable(
            "fused GPU attention is in the default wgpu build and the browser's, not in this one (the `vulkan` build's fusion wraps the tensors it reads; use stream or flash)".into(),
        ))
    }
}

/// Unreachable: no [`FusedBank`] exists in this build.
pub fn attend_heads(_: &BankView, bank: &FusedBank, _: &[(Tensor<2>, Against, f32)]) -> Result<Vec<Tensor<2>>> {
    match *bank {}
}
