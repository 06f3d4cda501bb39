//! What to compute for each point: the encoder alone, RANGE or RANGE+, and their heads.

use crate::error::{Error, Result};

/// RANGE's softmax temperature (`softmax(15 · cos)`).
pub const RANGE_SCALE: f32 = 15.0;
/// RANGE+'s semantic head temperature.
pub const RANGE_PLUS_SEMANTIC_SCALE: f32 = 12.0;
/// RANGE+'s geographic head temperature (`softmax(40 · xyz·xyz)`).
pub const RANGE_PLUS_GEO_SCALE: f32 = 40.0;

/// What to compute for each point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Variant {
    /// The encoder's raw, un-normalised output.
    Encoder,
    /// `concat(softmax(15·cos(q, K)) · V, q)`.
    Range,
    /// `concat(β·softmax(12·cos(q, K))·V + (1−β)·softmax(40·xyz·xyz_bank)·V, q)`.
    RangePlus { beta: f32 },
}

/// A variant's name, before β: what the CLI's `--model` and the bindings' `variant` take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum VariantName {
    Encoder,
    Range,
    #[cfg_attr(feature = "cli", value(name = "range+", alias = "rangeplus", alias = "range-plus"))]
    RangePlus,
}

impl VariantName {
    /// Parses `encoder`, `range` or `range+` (also `rangeplus`, `range-plus`), in any case.
    pub fn parse(name: &str) -> Result<Self> {
        match name.to_ascii_lowercase().as_str() {
            "encoder" => Ok(Self::Encoder),
            "range" => Ok(Self::Range),
            "range+" | "rangeplus" | "range-plus" => Ok(Self::RangePlus),
            other => Err(Error::Invalid(format!(
                "unknown variant {other:?} (expected encoder, range or range+)"
            ))),
        }
    }

    /// The variant, with `beta` for RANGE+ (ignored otherwise; it must lie in [0, 1]).
    pub fn with_beta(self, beta: f32) -> Result<Variant> {
        match self {
            Self::Encoder => Ok(Variant::Encoder),
            Self::Range => Ok(Variant::Range),
            Self::RangePlus if (0.0..=1.0).contains(&beta) => Ok(Variant::RangePlus { beta }),
            Self::RangePlus => Err(Error::Invalid(format!("beta must lie in [0, 1], got {beta}"))),
        }
    }
}

impl Variant {
    /// Parses `encoder`, `range` or `range+` (β applies to `range+` only).
    pub fn parse(name: &str, beta: f32) -> Result<Self> {
        VariantName::parse(name)?.with_beta(beta)
    }
}
