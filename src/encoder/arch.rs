//! Architectures of the location encoders: hyper-parameters, and from them the list of
//! layers with their weight names and shapes. Nothing about dimensions is hard-coded
//! elsewhere: every consumer asks the plan.

use burn::tensor::DType;
use serde::{Deserialize, Serialize};

use super::harmonics::{self, Convention};
use crate::error::{Error, Result};

/// SatCLIP's location encoder: spherical harmonics, then a SIREN.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SatClipParams {
    /// Harmonics of degree `< legendre_polys` (L); `L²` input features.
    pub legendre_polys: usize,
    /// `"analytic"` (the released checkpoints) or `"closed-form"`.
    pub harmonics: String,
    /// Width of the hidden layers.
    pub capacity: usize,
    /// Number of sine layers (the first with w0 = 30, the others w0 = 1).
    pub hidden_layers: usize,
    /// Output width.
    pub embed_dim: usize,
}

/// GeoCLIP's location encoder: an Equal Earth projection, then several random-Fourier-feature
/// branches (each `[cos 2πBv, sin 2πBv]` and an MLP with ReLUs), their outputs summed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GeoClipParams {
    /// Number of branches (3 in the released model, σ = 2^0, 2^4, 2^8).
    pub branches: usize,
    /// Rows of each branch's Fourier matrix B (256): the branch input is twice as wide.
    pub rff_features: usize,
    /// Width of the hidden layers (1024).
    pub hidden: usize,
    /// Number of ReLU layers per branch (3).
    pub hidden_layers: usize,
    /// Output width (512).
    pub embed_dim: usize,
}

/// Non-linearity after a dense layer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// `sin(w0 · x)`.
    Sine(f64),
    Relu,
    Identity,
}

/// One dense layer of an encoder: weight `NAME.weight` of PyTorch shape `[outputs, inputs]`,
/// bias `NAME.bias` of shape `[outputs]`.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerSpec {
    pub name: String,
    pub inputs: usize,
    pub outputs: usize,
    pub activation: Activation,
}

/// A random-Fourier-feature map at the head of a branch: tensor `name` of shape
/// `[features, inputs]` (PyTorch's B), giving `[cos 2πBv, sin 2πBv]`, `2 · features` wide.
#[derive(Clone, Debug, PartialEq)]
pub struct RffSpec {
    pub name: String,
    pub features: usize,
    pub inputs: usize,
}

/// One branch of an encoder: an optional Fourier map, then dense layers. Branch outputs are
/// summed.
#[derive(Clone, Debug, PartialEq)]
pub struct BranchSpec {
    pub rff: Option<RffSpec>,
    pub layers: Vec<LayerSpec>,
}

/// The encoders georange knows.
#[derive(Clone, Debug, PartialEq)]
pub enum Architecture {
    SatClip(SatClipParams),
    GeoClip(GeoClipParams),
}

/// SIREN's first-layer frequency, fixed by SatCLIP's code (`w0_initial = 30`).
pub const SIREN_W0_INITIAL: f64 = 30.0;
/// SIREN's frequency of the later sine layers (`w0 = 1`).
pub const SIREN_W0: f64 = 1.0;

impl Architecture {
    /// The dtype of the dense layers when the encoder computes in `dtype`. SatCLIP's SIREN
    /// keeps it (its first layer multiplies by 30, so f32 rounding in its 1600-term sums would
    /// show at ~1e-6). GeoCLIP's ReLU layers take at most f32: their 9.4M weights in f64 were
    /// 75 MB to read for every single point on the CPU; its Fourier features, whose arguments
    /// reach thousands of radians, stay in `dtype`.
    pub fn dense_dtype(&self, dtype: DType) -> DType {
        match (self, dtype) {
            (Architecture::GeoClip(_), DType::F64) => DType::F32,
            _ => dtype,
        }
    }

    /// The name stored in file metadata.
    pub fn name(&self) -> &'static str {
        match self {
            Architecture::SatClip(_) => "satclip",
            Architecture::GeoClip(_) => "geoclip",
        }
    }

    /// Hyper-parameters as stored in file metadata (JSON).
    pub fn params_json(&self) -> String {
        match self {
            Architecture::SatClip(p) => serde_json::to_string(p).unwrap_or_default(),
            Architecture::GeoClip(p) => serde_json::to_string(p).unwrap_or_default(),
        }
    }

    /// Rebuilds an architecture from its metadata name and JSON parameters, and checks it.
    pub fn from_meta(name: &str, params: &str) -> Result<Self> {
        let arch = match name {
            "satclip" => {
                Architecture::SatClip(serde_json::from_str(params).map_err(|e| Error::format("encoder hparams", e))?)
            }
            "geoclip" => {
                Architecture::GeoClip(serde_json::from_str(params).map_err(|e| Error::format("encoder hparams", e))?)
            }
            other => return Err(Error::format("encoder", format!("unknown architecture {other:?}"))),
        };
        arch.check()?;
        Ok(arch)
    }

    /// Rejects parameters no network can be built from.
    pub fn check(&self) -> Result<()> {
        match self {
            Architecture::SatClip(p) => {
                if Convention::parse(&p.harmonics).is_none() {
                    return Err(Error::format(
                        "encoder",
                        format!("unknown harmonics calculation {:?}", p.harmonics),
                    ));
                }
                let ok = (1..=100).contains(&p.legendre_polys)
                    && (1..=1 << 16).contains(&p.capacity)
                    && (1..=64).contains(&p.hidden_layers)
                    && (1..=1 << 16).contains(&p.embed_dim);
                if !ok {
                    return Err(Error::format(
                        "encoder",
                        format!("implausible SatCLIP hyper-parameters {p:?}"),
                    ));
                }
                Ok(())
            }
            Architecture::GeoClip(p) => {
                let ok = (1..=16).contains(&p.branches)
                    && (1..=1 << 14).contains(&p.rff_features)
                    && (1..=1 << 14).contains(&p.hidden)
                    && (1..=64).contains(&p.hidden_layers)
                    && (1..=1 << 16).contains(&p.embed_dim);
                if !ok {
                    return Err(Error::format(
                        "encoder",
                        format!("implausible GeoCLIP hyper-parameters {p:?}"),
                    ));
                }
                Ok(())
            }
        }
    }

    /// Width of the features computed on the host for every point: `L²` harmonics for
    /// SatCLIP, the two projected coordinates for GeoCLIP.
    pub fn input_dim(&self) -> usize {
        match self {
            Architecture::SatClip(p) => harmonics::feature_count(p.legendre_polys),
            Architecture::GeoClip(_) => 2,
        }
    }

    /// Width of the encoder's output.
    pub fn embed_dim(&self) -> usize {
        match self {
            Architecture::SatClip(p) => p.embed_dim,
            Architecture::GeoClip(p) => p.embed_dim,
        }
    }

    /// The widest row any step of the encoder computes (features, Fourier map, layers).
    pub fn widest(&self) -> usize {
        let rff = self
            .branches()
            .iter()
            .filter_map(|b| b.rff.as_ref().map(|r| 2 * r.features))
            .max();
        let layers = self.layers().iter().map(|l| l.inputs.max(l.outputs)).max();
        self.input_dim().max(rff.unwrap_or(0)).max(layers.unwrap_or(0))
    }

    /// Every dense layer of every branch, in order.
    pub fn layers(&self) -> Vec<LayerSpec> {
        self.branches().into_iter().flat_map(|b| b.layers).collect()
    }

    /// The branches with their Fourier maps and layers: names, shapes, activations.
    pub fn branches(&self) -> Vec<BranchSpec> {
        match self {
            Architecture::GeoClip(p) => (0..p.branches).map(|i| geoclip_branch(p, i)).collect(),
            Architecture::SatClip(p) => {
                let mut out = Vec::with_capacity(p.hidden_layers + 1);
                for i in 0..p.hidden_layers {
                    out.push(LayerSpec {
                        name: format!("layers.{i}"),
                        inputs: if i == 0 {
                            harmonics::feature_count(p.legendre_polys)
                        } else {
                            p.capacity
                        },
                        outputs: p.capacity,
                        activation: Activation::Sine(if i == 0 { SIREN_W0_INITIAL } else { SIREN_W0 }),
                    });
                }
                out.push(LayerSpec {
                    name: "last_layer".into(),
                    inputs: p.capacity,
                    outputs: p.embed_dim,
                    activation: Activation::Identity,
                });
                vec![BranchSpec { rff: None, layers: out }]
            }
        }
    }
}

/// GeoCLIP branch `i`: `LocEnc{i}.capsule` is a Sequential of the Fourier map (index 0) and
/// Linear/ReLU pairs (Linear at 1, 3, 5, …), then `LocEnc{i}.head.0`.
fn geoclip_branch(p: &GeoClipParams, i: usize) -> BranchSpec {
    let mut layers = Vec::with_capacity(p.hidden_layers + 1);
    for k in 0..p.hidden_layers {
        layers.push(LayerSpec {
            name: format!("LocEnc{i}.capsule.{}", 2 * k + 1),
            inputs: if k == 0 { 2 * p.rff_features } else { p.hidden },
            outputs: p.hidden,
            activation: Activation::Relu,
        });
    }
    layers.push(LayerSpec {
        name: format!("LocEnc{i}.head.0"),
        inputs: p.hidden,
        outputs: p.embed_dim,
        activation: Activation::Identity,
    });
    BranchSpec {
        rff: Some(RffSpec {
            name: format!("LocEnc{i}.capsule.0.b"),
            features: p.rff_features,
            inputs: 2,
        }),
        layers,
    }
}
