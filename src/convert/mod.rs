//! Converters from the official files to ours, and `.npy` helpers. Native only: they read
//! the official formats (a Lightning checkpoint, a NumPy archive) that only the CLI meets.

pub mod ckpt;
pub mod geoclip;
pub mod npy;
pub mod torch;

use std::path::Path;

use crate::bank::Bank;
use crate::encoder::Encoder;
use crate::error::{Error, Result};

/// Builds a bank from an official RANGE database `.npz` (`locs`, `satclip_embeddings`,
/// `image_embeddings`), its keys in the space of `encoder`.
pub fn range_database(path: &Path, encoder: &Encoder) -> Result<Bank> {
    let mut npz = npy::Npz::open(path)?;
    let locs = npz.matrix("locs")?;
    let keys = npz.matrix("satclip_embeddings")?;
    let values = npz.matrix("image_embeddings")?;
    let what = path.display().to_string();
    if locs.cols != 2 {
        return Err(Error::format(
            &what,
            format!("locs has {} columns, expected 2 (lon, lat)", locs.cols),
        ));
    }
    if keys.rows != locs.rows || values.rows != locs.rows {
        return Err(Error::format(
            &what,
            format!(
                "row counts disagree: locs {}, satclip_embeddings {}, image_embeddings {}",
                locs.rows, keys.rows, values.rows
            ),
        ));
    }
    if keys.cols != encoder.embed_dim() {
        return Err(Error::Mismatch(format!(
            "{what}: satclip_embeddings are {}-d but the checkpoint's encoder outputs {}-d",
            keys.cols,
            encoder.embed_dim()
        )));
    }
    Bank::new(locs.data, keys.data, values.data, keys.cols, values.cols, &encoder.id)
        .map_err(|e| Error::format(&what, e))
}
