//! Running an encoder on a burn device.

use burn::tensor::activation::relu;
use burn::tensor::{DType, Device, Tensor, TensorData};

use super::arch::{Activation, Architecture};
use super::harmonics::{self, Convention};
use super::Encoder;
use crate::error::Result;
use crate::weights::{dense_on_device, DeviceDense};

/// An encoder whose weights live on a device.
pub struct DeviceEncoder {
    arch: Architecture,
    layers: Vec<(DeviceDense, Activation)>,
    device: Device,
    dtype: DType,
}

impl DeviceEncoder {
    /// Uploads `encoder` to `device`; it computes in `dtype` (f64 on the CPU to match the
    /// reference to the last digits, f32 where the device has no f64).
    pub fn new(encoder: &Encoder, device: &Device, dtype: DType) -> Result<Self> {
        let layers = encoder
            .arch
            .layers()
            .iter()
            .map(|spec| Ok((dense_on_device(&encoder.weights, spec, device, dtype)?, spec.activation)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            arch: encoder.arch.clone(),
            layers,
            device: device.clone(),
            dtype,
        })
    }

    /// Output width.
    pub fn embed_dim(&self) -> usize {
        self.arch.embed_dim()
    }

    /// The raw (un-normalised) encoder output for validated points `lonlat` = [lon0, lat0, …].
    pub fn forward(&self, lonlat: &[f64]) -> Tensor<2> {
        let mut x = self.input_features(lonlat);
        for (dense, act) in &self.layers {
            x = x.matmul(dense.weight.clone()) + dense.bias.clone();
            x = match act {
                Activation::Sine(w0) => x.mul_scalar(*w0).sin(),
                Activation::Relu => relu(x),
                Activation::Identity => x,
            };
        }
        x
    }

    /// The input features of the first layer, computed on the host in f64.
    fn input_features(&self, lonlat: &[f64]) -> Tensor<2> {
        let rows = lonlat.len() / 2;
        match &self.arch {
            Architecture::SatClip(p) => {
                let convention = Convention::parse(&p.harmonics).unwrap_or(Convention::Analytic);
                let width = harmonics::feature_count(p.legendre_polys);
                let mut feats = vec![0.0f64; rows * width];
                for (point, out) in lonlat.chunks_exact(2).zip(feats.chunks_exact_mut(width)) {
                    harmonics::evaluate(point[0], point[1], p.legendre_polys, convention, out);
                }
                Tensor::from_data(TensorData::new(feats, [rows, width]), (&self.device, self.dtype))
            }
        }
    }
}
