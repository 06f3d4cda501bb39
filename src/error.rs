//! The one error type of the crate. Every fallible path returns [`Error`]; its `Display`
//! is a single line that names the problem and, where there is one, the file or row.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in georange.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed at the operating-system level.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file is not in the format it was expected to be in, or disagrees with itself.
    #[error("{what}: {reason}")]
    Format { what: String, reason: String },
    /// Two inputs that must fit together do not (an encoder and a bank, say).
    #[error("mismatch: {0}")]
    Mismatch(String),
    /// A query coordinate cannot be embedded.
    #[error("row {row}: {reason}")]
    Coordinate { row: usize, reason: String },
    /// A caller asked for something that is not valid (an unknown model, β outside [0, 1]...).
    #[error("invalid argument: {0}")]
    Invalid(String),
    /// The tensor backend failed to execute or read back a result.
    #[error("backend: {0}")]
    Backend(String),
}

/// Short for `std::result::Result<T, georange::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A format error about `what` (usually a file name or a tensor name).
    pub fn format(what: impl std::fmt::Display, reason: impl std::fmt::Display) -> Self {
        Error::Format {
            what: what.to_string(),
            reason: reason.to_string(),
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Reads a whole file, naming it in the error.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}
