//! Running an encoder on a burn device.

use std::borrow::Cow;

use burn::tensor::activation::relu;
use burn::tensor::{DType, Device, Tensor, TensorData};

use super::Encoder;
use super::arch::{Activation, Architecture};
use super::fourier::DeviceHarmonics;
use super::harmonics::{Convention, Harmonics};
use super::projection::equal_earth;
use crate::encoder::weights::{DeviceDense, Weights, dense_on_device, rff_on_device};
use crate::error::Result;
use crate::parallel;

/// One branch on the device: an optional Fourier map (`2π·Bᵀ`) and dense layers.
struct DeviceBranch {
    rff: Option<Tensor<2>>,
    layers: Vec<(DeviceDense, Activation)>,
}

/// An encoder whose weights live on a device.
pub struct DeviceEncoder {
    arch: Architecture,
    branches: Vec<DeviceBranch>,
    /// SatCLIP's harmonics computed on the device (GPUs, in f32); `None` computes them on
    /// the host (the CPU, in f64: the parity path).
    harmonics: Option<DeviceHarmonics>,
    device: Device,
    dtype: DType,
}

impl DeviceEncoder {
    /// Uploads `encoder` to `device`; it computes in `dtype` (f64 on the CPU to match the
    /// reference to the last digits, f32 where the device has no f64).
    pub fn new(encoder: &Encoder, device: &Device, dtype: DType) -> Result<Self> {
        Self::build(encoder.arch.clone(), Cow::Borrowed(&encoder.weights), device, dtype)
    }

    /// [`new`](Self::new), freeing each of the encoder's host weights once it is on the
    /// device: the load never holds a weight twice over.
    pub fn from_owned(encoder: Encoder, device: &Device, dtype: DType) -> Result<Self> {
        Self::build(encoder.arch, Cow::Owned(encoder.weights), device, dtype)
    }

    fn build(arch: Architecture, mut w: Cow<Weights>, device: &Device, dtype: DType) -> Result<Self> {
        let branches = arch
            .branches()
            .iter()
            .map(|b| {
                let rff = b
                    .rff
                    .as_ref()
                    .map(|r| rff_on_device(&mut w, r, device, dtype))
                    .transpose()?;
                let dense = arch.dense_dtype(dtype);
                let layers = b
                    .layers
                    .iter()
                    .map(|spec| Ok((dense_on_device(&mut w, spec, device, dense)?, spec.activation)))
                    .collect::<Result<Vec<_>>>()?;
                Ok(DeviceBranch { rff, layers })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut on_device = Self {
            arch,
            branches,
            harmonics: None,
            device: device.clone(),
            dtype,
        };
        on_device.set_harmonics_on_device(dtype != DType::F64);
        Ok(on_device)
    }

    /// Whether SatCLIP's harmonics are computed on the device (the default in f32, i.e. on
    /// GPUs) or on the host in f64 and uploaded (the default in f64, i.e. on the CPU). No
    /// effect on other encoders.
    pub fn set_harmonics_on_device(&mut self, on: bool) {
        self.harmonics = match (&self.arch, on) {
            (Architecture::SatClip(_), true) => Some(DeviceHarmonics::new(
                &harmonics_table(&self.arch),
                &self.device,
                self.dtype,
            )),
            _ => None,
        };
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
            let x = match &branch.rff {
                Some(b) => {
                    let vp = input.clone().matmul(b.clone());
                    Tensor::cat(vec![vp.clone().cos(), vp.sin()], 1)
                }
                None => input.clone(),
            };
            let mut x = x.cast(self.arch.dense_dtype(self.dtype));
            for (dense, act) in &branch.layers {
                x = x.matmul(dense.weight.clone()) + dense.bias.clone();
                x = match act {
                    Activation::Sine(w0) => x.mul_scalar(*w0).sin(),
                    Activation::Relu => relu(x),
                    Activation::Identity => x,
                };
            }
            x.cast(self.dtype)
        });
        outputs.reduce(|a, b| a + b).unwrap_or(input)
    }

    /// The input features: SatCLIP's harmonics on the device where it computes in f32,
    /// else computed on the host in f64 (on several threads for large batches) and uploaded
    /// in the encoder's dtype.
    fn input_features(&self, lonlat: &[f64]) -> Tensor<2> {
        if let Some(h) = &self.harmonics {
            return h.features(lonlat);
        }
        let rows = lonlat.len() / 2;
        let width = self.arch.input_dim();
        let shape = [rows, width];
        if self.dtype == DType::F64 {
            let mut feats = vec![0.0f64; rows * width];
            self.features_into(lonlat, &mut feats, |v| v);
            Tensor::from_data(TensorData::new(feats, shape), (&self.device, self.dtype))
        } else {
            let mut feats = vec![0.0f32; rows * width];
            self.features_into(lonlat, &mut feats, |v| v as f32);
            Tensor::from_data(TensorData::new(feats, shape), (&self.device, self.dtype))
        }
    }

    /// Writes each point's features into its row of `out`, converted by `to`.
    fn features_into<T: Copy + Send>(&self, lonlat: &[f64], out: &mut [T], to: impl Fn(f64) -> T + Sync) {
        let width = self.arch.input_dim();
        let table = match &self.arch {
            Architecture::SatClip(_) => Some(harmonics_table(&self.arch)),
            Architecture::GeoClip(_) => None,
        };
        parallel::for_rows(out, width, 256, |first, part| {
            let mut row = vec![0.0f64; width];
            let points = lonlat[2 * first..].chunks_exact(2);
            for (point, dst) in points.zip(part.chunks_exact_mut(width)) {
                match &table {
                    Some(h) => h.evaluate(point[0], point[1], &mut row),
                    None => row.copy_from_slice(&equal_earth(point[0], point[1])),
                }
                dst.iter_mut().zip(&row).for_each(|(d, v)| *d = to(*v));
            }
        });
    }
}

/// The harmonics table of a SatCLIP architecture (degree 0 for any other).
fn harmonics_table(arch: &Architecture) -> Harmonics {
    match arch {
        Architecture::SatClip(p) => Harmonics::new(
            p.legendre_polys,
            Convention::parse(&p.harmonics).unwrap_or(Convention::Analytic),
        ),
        Architecture::GeoClip(_) => Harmonics::new(0, Convention::Analytic),
    }
}
