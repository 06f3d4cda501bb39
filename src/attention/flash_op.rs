//! burn's attention op, for the flash route ([`super`]): native builds.

use burn::tensor::Tensor;
use burn::tensor::module::attention;
use burn::tensor::ops::AttentionModuleOptions;

use crate::error::{Error, Result};

/// The route is in this build.
pub fn available() -> Result<()> {
    Ok(())
}

/// One call of burn's op with its default scale (`1/√width`), the only one its flash kernels
/// take. A failure inside burn surfaces as an error, not as a panic.
pub fn call(q: Tensor<4>, k: Tensor<4>, v: Tensor<4>) -> Result<Tensor<4>> {
    let run = move || attention(q, k, v, None, None, AttentionModuleOptions::default());
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).map_err(|e| {
        let why = e
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| e.downcast_ref::<&str>().copied())
            .unwrap_or("no message");
        Error::Backend(format!("burn's attention op failed: {why}"))
    })
}
