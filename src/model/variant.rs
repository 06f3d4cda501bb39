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

impl Variant {
    /// Parses `encoder`, `range` or `range+` (β applies to `range+` only).
    pub fn parse(name: &str, beta: f32) -> Result<Self> {
        match name.to_ascii_lowercase().as_str() {
            "encoder" => Ok(Variant::Encoder),
            "range" => Ok(Variant::Range),
            "range+" | "rangeplus" | "range-plus" => {
                if !(0.0..=1.0).contains(&beta) {
                    return Err(Error::Invalid(format!("beta must lie in [0, 1], got {beta}")));
                }
                Ok(Variant::RangePlus { beta })
            }
            other => Err(Error::Invalid(format!(
                "unknown model {other:?} (expected encoder, range or range+)"
            ))),
        }
    }
}

