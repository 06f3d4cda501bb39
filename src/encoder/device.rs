//! Running an encoder on a burn device.

use burn::tensor::activation::relu;
use burn::tensor::{DType, Device, Tensor, TensorData};

use super::Encoder;
use super::arch::{Activation, Architecture};
use super::harmonics::{self, Convention};
use super::projection::equal_earth;
use crate::error::Result;
use crate::weights::{DeviceDense, dense_on_device, rff_on_device};

/// One branch on the device: an optional Fourier map (`2π·Bᵀ`) and dense layers.
struct DeviceBranch {
    rff: Option<Tensor<2>>,
    layers: Vec<(DeviceDense, Activation)>,
}

/// An encoder whose weights live on a device.
pub struct DeviceEncoder {
    arch: Architecture,
    branches: Vec<DeviceBranch>,
    device: Device,
    dtype: DType,
}

impl DeviceEncoder {
    /// Uploads `encoder` to `device`; it computes in `dtype` (f64 on the CPU to match the
    /// reference to the last digits, f32 where the device has no f64).
    pub fn new(encoder: &Encoder, device: &Device, dtype: DType) -> Result<Self> {
        let w = &encoder.weights;
        let branches = encoder
            .arch
            .branches()
            .iter()
            .map(|b| {
                let rff = b.rff.as_ref().map(|r| rff_on_device(w, r, device, dtype)).transpose()?;
                let layers = b
                    .layers
                    .iter()
                    .map(|spec| Ok((dense_on_device(w, spec, device, dtype)?, spec.activation)))
                    .collect::<Result<Vec<_>>>()?;
                Ok(DeviceBranch { rff, layers })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            arch: encoder.arch.clone(),
            branches,
            device: device.clone(),
            dtype,
        })
    }

    /// The widest row the encoder computes for one point.
    pub fn widest(&self) -> usize {
        self.arch.widest()
    }

    /// Output width.
    pub fn embed_dim(&self) -> usize {
        self.arch.embed_dim()
    }

    /// The raw (un-normalised) encoder output for validated points `lonlat` = [lon0, lat0, …].
    pub fn forward(&self, lonlat: &[f64]) -> Tensor<2> {
        let input = self.input_features(lonlat);
        let outputs = self.branches.iter().map(|branch| {
            let mut x = match &branch.rff {
                Some(b) => {
                    let vp = input.clone().matmul(b.clone());
                    Tensor::cat(vec![vp.clone().cos(), vp.sin()], 1)
                }
                None => input.clone(),
            };
            for (dense, act) in &branch.layers {
                x = x.matmul(dense.weight.clone()) + dense.bias.clone();
                x = match act {
                    Activation::Sine(w0) => x.mul_scalar(*w0).sin(),
                    Activation::Relu => relu(x),
                    Activation::Identity => x,
                };
            }
            x
        });
        outputs.reduce(|a, b| a + b).unwrap_or(input)
    }

    /// The input features, computed on the host in f64.
    fn input_features(&self, lonlat: &[f64]) -> Tensor<2> {
        let rows = lonlat.len() / 2;
        let width = self.arch.input_dim();
        let mut feats = vec![0.0f64; rows * width];
        let points = lonlat.chunks_exact(2).zip(feats.chunks_exact_mut(width));
        match &self.arch {
            Architecture::SatClip(p) => {
                let convention = Convention::parse(&p.harmonics).unwrap_or(Convention::Analytic);
                for (point, out) in points {
                    harmonics::evaluate(point[0], point[1], p.legendre_polys, convention, out);
                }
            }
            Architecture::GeoClip(_) => {
                for (point, out) in points {
                    out.copy_from_slice(&equal_earth(point[0], point[1]));
                }
            }
        }
        Tensor::from_data(TensorData::new(feats, [rows, width]), (&self.device, self.dtype))
    }
}
