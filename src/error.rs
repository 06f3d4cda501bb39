//! The one error type of the crate. Every fallible path returns [`Error`]; its `Display`
//! is a single line that names the problem and, where there is one, the file or row.

use std::path::{Path, PathBuf};

/// Everything that can go wrong in georange. Callers branch on [`Error::code`], never on the
/// message; the JavaScript and Python errors carry the same code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed at the operating-system level.
    #[error("{}: {}", one_line(path.display()), one_line(source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file is not in the format it was expected to be in, or disagrees with itself.
    #[error("{}: {}", one_line(what), one_line(reason))]
    Format { what: String, reason: String },
    /// Two inputs that must fit together do not (an encoder and a bank, say).
    #[error("mismatch: {}", one_line(.0))]
    Mismatch(String),
    /// A query coordinate cannot be embedded.
    #[error("row {row}: {}", one_line(reason))]
    Coordinate { row: usize, reason: String },
    /// A caller asked for something that is not valid (an unknown model, β outside [0, 1]...).
    #[error("invalid argument: {}", one_line(.0))]
    Invalid(String),
    /// The tensor backend failed to execute or read back a result.
    #[error("backend: {}", one_line(.0))]
    Backend(String),
    /// The GPU device was lost (or poisoned by an earlier failure): nothing more runs on it.
    #[error("GPU device lost: {}", one_line(.0))]
    DeviceLost(String),
    /// This build or this device lacks what was asked for (a route left out of the build, a
    /// GPU without f16 arithmetic, no GPU adapter).
    #[error("unavailable: {}", one_line(.0))]
    Unavailable(String),
    /// The model was disposed (the browser's `dispose()`): it computes nothing more.
    #[error("{}", one_line(.0))]
    Disposed(String),
    /// A file is intact but not the one the caller pinned (its content hash differs).
    #[error("{}: content hash {got} is not the pinned {want}", one_line(what))]
    Integrity { what: String, want: String, got: String },
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

    /// Every [`code`](Self::code), once.
    pub const CODES: &'static [&'static str] = &[
        "io",
        "bad_file",
        "pair_mismatch",
        "bad_coordinate",
        "invalid_argument",
        "backend",
        "device_lost",
        "unavailable",
        "disposed",
        "integrity",
    ];

    /// The stable code of this error, for callers to branch on (one of [`CODES`](Self::CODES)).
    /// The JavaScript and Python errors carry it as their `code`.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Io { .. } => "io",
            Error::Format { .. } => "bad_file",
            Error::Mismatch(_) => "pair_mismatch",
            Error::Coordinate { .. } => "bad_coordinate",
            Error::Invalid(_) => "invalid_argument",
            Error::Backend(_) => "backend",
            Error::DeviceLost(_) => "device_lost",
            Error::Unavailable(_) => "unavailable",
            Error::Disposed(_) => "disposed",
            Error::Integrity { .. } => "integrity",
        }
    }

    /// The input row (0-based) that a [`Coordinate`](Error::Coordinate) error names.
    pub fn row(&self) -> Option<usize> {
        match self {
            Error::Coordinate { row, .. } => Some(*row),
            _ => None,
        }
    }

    /// This error with its row moved by `offset` (a batch that starts at row `offset` of a
    /// larger input); other errors as they are.
    pub fn shifted(self, offset: usize) -> Self {
        match self {
            Error::Coordinate { row, reason } => Error::Coordinate {
                row: row + offset,
                reason,
            },
            other => other,
        }
    }

    /// A failure reported by the tensor backend (burn, wgpu, cubecl) while `doing` something:
    /// [`DeviceLost`](Error::DeviceLost) when its report says the device is gone, else
    /// [`Backend`](Error::Backend). burn reports both as text; this is the one place that reads it.
    pub fn backend(doing: &str, report: impl std::fmt::Debug) -> Self {
        let report = format!("{report:?}");
        let lower = report.to_ascii_lowercase();
        let lost = [
            "device is poisoned",
            "device lost",
            "device was lost",
            "device was destroyed",
            "destroyed: ",
        ]
        .iter()
        .any(|p| lower.contains(p));
        let text = if doing.is_empty() {
            report
        } else {
            format!("{doing}: {report}")
        };
        if lost {
            Error::DeviceLost(text)
        } else {
            Error::Backend(text)
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

/// Longest text one part of a message may take; a hostile file can make a parser's own
/// message arbitrarily long.
const MAX_PART: usize = 400;

/// `text` as one printable line: runs of whitespace become one space, other control
/// characters are escaped, and anything past [`MAX_PART`] characters is cut with "…". Errors
/// from the parsers we depend on can quote bytes of the hostile file, line breaks included.
fn one_line(text: impl std::fmt::Display) -> String {
    let text = text.to_string();
    let mut out = String::with_capacity(text.len().min(MAX_PART + 8));
    let mut chars = 0;
    let mut space = false;
    for c in text.trim().chars() {
        if chars >= MAX_PART {
            out.push('…');
            break;
        }
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space {
            out.push(' ');
            chars += 1;
            space = false;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
        chars += 1;
    }
    out
}

/// Writes a whole file through a temporary (`PATH.partial`) renamed into place, so a failed
/// write never leaves a half-written file where a good one was; creates missing parent
/// directories; names the path in the error.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let tmp = PathBuf::from(tmp);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(path, e)
        })
}

/// Reads a whole file, naming it in the error.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_printable_bounded_line() {
        let e = Error::format("f\nile", format!("bad\n  |\n1 | x\u{4}y {}", "z".repeat(2000)));
        let text = e.to_string();
        assert!(text.starts_with("f ile: bad | 1 | x\\u{4}y z"), "{text}");
        assert!(!text.chars().any(char::is_control), "{text}");
        assert!(text.chars().count() < 2 * MAX_PART + 10, "{} chars", text.len());
        assert!(text.ends_with('…'));
    }

    #[test]
    fn codes_are_stable_and_device_loss_is_recognised_once() {
        assert_eq!(Error::format("f", "r").code(), "bad_file");
        assert_eq!(Error::Mismatch("m".into()).code(), "pair_mismatch");
        let e = Error::Coordinate {
            row: 3,
            reason: "NaN".into(),
        };
        assert_eq!((e.code(), e.row()), ("bad_coordinate", Some(3)));
        assert_eq!(e.shifted(10).row(), Some(13));
        assert_eq!(
            Error::backend("read back", "Device is poisoned: OOM").code(),
            "device_lost"
        );
        assert_eq!(Error::backend("read back", "shader failed").code(), "backend");
        assert_eq!(Error::Unavailable("x".into()).code(), "unavailable");
    }
}
