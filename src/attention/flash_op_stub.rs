//! The flash route's op where a build leaves it out (the browser's): the route is refused
//! with `unavailable`.

use burn::tensor::Tensor;

use crate::error::{Error, Result};

/// The route is not in this build.
pub fn available() -> Result<()> {
    Err(Error::Unavailable(
        "flash attention is not in the browser build (it would run burn's unfused op there)".into(),
    ))
}

/// Never reached: [`available`] refuses the route first.
pub fn call(_: Tensor<4>, _: Tensor<4>, _: Tensor<4>) -> Result<Tensor<4>> {
    available().map(|()| unreachable!("the stub has no op"))
}
