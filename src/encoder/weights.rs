//! The one place where weight names meet tensors, and where PyTorch's layout becomes burn's.
//!
//! Files (ours and the official ones) keep PyTorch's conventions: a dense layer `NAME` has
//! `NAME.weight` of shape `[outputs, inputs]` and `NAME.bias` of shape `[outputs]`. burn
//! multiplies `x · W` with `W` as `[inputs, outputs]`, so [`dense_on_device`] transposes once,
//! at load.

use std::borrow::Cow;
use std::collections::BTreeMap;

use burn::tensor::{DType, Device, Tensor, TensorData};

use super::arch::{Architecture, LayerSpec, RffSpec};
use crate::backend::matrix_on_device;
use crate::error::{Error, Result};
use crate::format::Stored;
use crate::layout::{transpose, transpose_map};

/// Host weights by name.
pub type Weights = BTreeMap<String, Stored>;

/// Name of a layer's weight matrix.
pub fn weight_name(layer: &str) -> String {
    format!("{layer}.weight")
}

/// Name of a layer's bias vector.
pub fn bias_name(layer: &str) -> String {
    format!("{layer}.bias")
}

/// Every tensor an architecture needs: name, PyTorch shape, and whether it must stay exact
/// (f32) in compact files.
pub fn tensor_specs(arch: &Architecture) -> Vec<(String, Vec<usize>, bool)> {
    let mut out = Vec::new();
    for branch in arch.branches() {
        if let Some(r) = &branch.rff {
            out.push((r.name.clone(), vec![r.features, r.inputs], true));
        }
        for l in &branch.layers {
            out.push((weight_name(&l.name), vec![l.outputs, l.inputs], false));
            out.push((bias_name(&l.name), vec![l.outputs], false));
        }
    }
    out
}

/// Checks that `weights` holds every tensor of `arch` with the right shape.
pub fn check_weights(weights: &Weights, arch: &Architecture, what: &str) -> Result<()> {
    for (name, shape, _) in tensor_specs(arch) {
        expect_shape(weights, &name, &shape, what)?;
    }
    Ok(())
}

/// Checks that tensor `name` exists with shape `shape`.
pub fn expect_shape(weights: &Weights, name: &str, shape: &[usize], what: &str) -> Result<()> {
    match weights.get(name) {
        None => Err(Error::format(what, format!("missing tensor {name:?}"))),
        Some(t) if t.shape != shape => Err(Error::format(
            what,
            format!("tensor {name:?} has shape {:?}, expected {shape:?}", t.shape),
        )),
        Some(_) => Ok(()),
    }
}

/// A dense layer on a device: `W` as `[inputs, outputs]` and `b` as `[1, outputs]`.
pub struct DeviceDense {
    pub weight: Tensor<2>,
    pub bias: Tensor<2>,
}

/// Tensor `name` of weights being uploaded: borrowed from an encoder the caller keeps, or
/// taken out of one it gave up, so that each host copy is freed as soon as its tensor is on
/// the device (a browser's WebAssembly heap never shrinks: its peak is what a page keeps).
fn take<'w>(weights: &'w mut Cow<Weights>, name: &str) -> Result<Cow<'w, Stored>> {
    match weights {
        Cow::Borrowed(w) => get(w, name).map(Cow::Borrowed),
        Cow::Owned(w) => w.remove(name).map(Cow::Owned).ok_or_else(|| missing(name)),
    }
}

/// Moves layer `spec`'s weights to `device` in `dtype`, transposing PyTorch's `[out, in]`.
pub fn dense_on_device(
    weights: &mut Cow<Weights>,
    spec: &LayerSpec,
    device: &Device,
    dtype: DType,
) -> Result<DeviceDense> {
    let (rows, cols) = (spec.outputs, spec.inputs);
    let weight = transposed_on_device(
        &take(weights, &weight_name(&spec.name))?.data,
        rows,
        cols,
        device,
        dtype,
    );
    let bias = take(weights, &bias_name(&spec.name))?.into_owned().data;
    Ok(DeviceDense {
        weight,
        bias: matrix_on_device(bias, [1, rows], device, dtype),
    })
}

/// A Fourier map on a device: PyTorch's B `[features, inputs]` transposed to `[inputs,
/// features]` and multiplied by 2π, so that `v · Bᵀ2π` is one matmul.
pub fn rff_on_device(weights: &mut Cow<Weights>, spec: &RffSpec, device: &Device, dtype: DType) -> Result<Tensor<2>> {
    let b = take(weights, &spec.name)?;
    let (rows, cols) = (spec.features, spec.inputs);
    Ok(transposed_on_device(&b.data, rows, cols, device, dtype).mul_scalar(2.0 * std::f64::consts::PI))
}

/// The transpose of `data` (`rows × cols`, row-major) as a device tensor of `dtype`, built on
/// the host in that dtype's own element type (f64 on the CPU): one copy, no f32 copy to cast.
fn transposed_on_device(data: &[f32], rows: usize, cols: usize, device: &Device, dtype: DType) -> Tensor<2> {
    let data = match dtype {
        DType::F64 => TensorData::new(transpose_map(data, rows, cols, f64::from), [cols, rows]),
        _ => TensorData::new(transpose(data, rows, cols), [cols, rows]),
    };
    Tensor::from_data(data, (device, dtype))
}

fn missing(name: &str) -> Error {
    Error::format("encoder", format!("missing tensor {name:?}"))
}

fn get<'a>(weights: &'a Weights, name: &str) -> Result<&'a Stored> {
    weights.get(name).ok_or_else(|| missing(name))
}
