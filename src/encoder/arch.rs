//! Architectures of the location encoders: hyper-parameters, and from them the list of
//! layers with their weight names and shapes. Nothing about dimensions is hard-coded
//! elsewhere: every consumer asks the plan.

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

/// The encoders georange knows.
#[derive(Clone, Debug, PartialEq)]
pub enum Architecture {
    SatClip(SatClipParams),
}

/// SIREN's first-layer frequency, fixed by SatCLIP's code (`w0_initial = 30`).
pub const SIREN_W0_INITIAL: f64 = 30.0;
/// SIREN's frequency of the later sine layers (`w0 = 1`).
pub const SIREN_W0: f64 = 1.0;

impl Architecture {
    /// The name stored in file metadata.
    pub fn name(&self) -> &'static str {
        match self {
            Architecture::SatClip(_) => "satclip",
        }
    }

    /// Hyper-parameters as stored in file metadata (JSON).
    pub fn params_json(&self) -> String {
        match self {
            Architecture::SatClip(p) => serde_json::to_string(p).unwrap_or_default(),
        }
    }

    /// Rebuilds an architecture from its metadata name and JSON parameters, and checks it.
    pub fn from_meta(name: &str, params: &str) -> Result<Self> {
        let arch = match name {
            "satclip" => Architecture::SatClip(
                serde_json::from_str(params).map_err(|e| Error::format("encoder hparams", e))?,
            ),
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
                    return Err(Error::format("encoder", format!("unknown harmonics calculation {:?}", p.harmonics)));
                }
                let ok = (1..=100).contains(&p.legendre_polys)
                    && (1..=1 << 16).contains(&p.capacity)
                    && (1..=64).contains(&p.hidden_layers)
                    && (1..=1 << 16).contains(&p.embed_dim);
                if !ok {
                    return Err(Error::format("encoder", format!("implausible SatCLIP hyper-parameters {p:?}")));
                }
                Ok(())
            }
        }
    }

    /// Width of the encoder's output.
    pub fn embed_dim(&self) -> usize {
        match self {
            Architecture::SatClip(p) => p.embed_dim,
        }
    }

    /// Every dense layer in order, with its weight name prefix, shape and activation.
    pub fn layers(&self) -> Vec<LayerSpec> {
        match self {
            Architecture::SatClip(p) => {
                let mut out = Vec::with_capacity(p.hidden_layers + 1);
                for i in 0..p.hidden_layers {
                    out.push(LayerSpec {
                        name: format!("layers.{i}"),
                        inputs: if i == 0 { harmonics::feature_count(p.legendre_polys) } else { p.capacity },
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
                out
            }
        }
    }
}
