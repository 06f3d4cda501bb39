//! A file's content hash, and which hash function each format version uses.
//!
//! Version 1 hashed with SHA-256; version 2 hashes with BLAKE3, which does the same job
//! (detecting a corrupt or truncated file, not tampering: RELIABILITY.md) faster in
//! WebAssembly, where every file is hashed as it loads. Both are read.

use safetensors::tensor::Dtype;
use sha2::{Digest, Sha256};

/// The hash function of a format version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashKind {
    /// Version 1.
    Sha256,
    /// Version 2, the one written.
    Blake3,
}

impl HashKind {
    /// The hash of the version written ([`FORMAT_VERSION`](super::FORMAT_VERSION)).
    pub const WRITTEN: Self = Self::Blake3;

    /// The hash of format `version`, or `None` for a version this build does not read.
    pub fn of_version(version: &str) -> Option<Self> {
        match version {
            "1" => Some(Self::Sha256),
            "2" => Some(Self::Blake3),
            _ => None,
        }
    }
}

/// Either hash, fed in pieces.
enum Hasher {
    Sha256(Sha256),
    Blake3(Box<blake3::Hasher>),
}

impl Hasher {
    fn new(kind: HashKind) -> Self {
        match kind {
            HashKind::Sha256 => Self::Sha256(Sha256::new()),
            HashKind::Blake3 => Self::Blake3(Box::default()),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(bytes),
            Self::Blake3(h) => {
                h.update(bytes);
            }
        }
    }

    fn hex(self) -> String {
        match self {
            Self::Sha256(h) => hex(&h.finalize()),
            Self::Blake3(h) => hex(h.finalize().as_bytes()),
        }
    }
}

/// Bytes hashed per call: the hash returns after each piece, so that a WebAssembly engine can
/// switch it to optimised code (it cannot inside one long call over 128 MB).
const HASH_PIECE: usize = 1 << 16;

/// Hash of the tensors of a file, in lower-case hex: each tensor in name order, as
/// `name \0 dtype \0 shape (u64 LE each) data`. Metadata is not included.
pub fn content_hash<'a>(
    kind: HashKind,
    tensors: impl Iterator<Item = (&'a str, Dtype, Vec<usize>, &'a [u8])>,
) -> String {
    let mut sorted: Vec<_> = tensors.collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let mut h = Hasher::new(kind);
    for (name, dtype, shape, bytes) in sorted {
        h.update(name.as_bytes());
        h.update(&[0]);
        h.update(format!("{dtype:?}").as_bytes());
        h.update(&[0]);
        for d in &shape {
            h.update(&(*d as u64).to_le_bytes());
        }
        bytes.chunks(HASH_PIECE).for_each(|piece| h.update(piece));
    }
    h.hex()
}

/// Lower-case hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_version_names_its_hash_and_no_other_is_read() {
        assert_eq!(HashKind::of_version("1"), Some(HashKind::Sha256));
        assert_eq!(HashKind::of_version("2"), Some(HashKind::Blake3));
        assert_eq!(HashKind::of_version("3"), None);
        assert_eq!(HashKind::of_version(" 2"), None);
        assert_eq!(
            HashKind::of_version(super::super::FORMAT_VERSION),
            Some(HashKind::WRITTEN)
        );
    }

    #[test]
    fn the_hashes_are_the_published_functions() {
        // Empty input: the published test vectors of SHA-256 and BLAKE3.
        let empty = |kind| Hasher::new(kind).hex();
        assert_eq!(
            empty(HashKind::Sha256),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            empty(HashKind::Blake3),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
    }

    #[test]
    fn pieces_and_order_do_not_change_the_hash_but_content_does() {
        let big: Vec<u8> = (0..3 * HASH_PIECE + 17).map(|i| (i * 7 % 253) as u8).collect();
        let small = [1u8, 2, 3, 4];
        for kind in [HashKind::Sha256, HashKind::Blake3] {
            let a = content_hash(
                kind,
                [
                    ("b", Dtype::I8, vec![4], &small[..]),
                    ("a", Dtype::I8, vec![big.len()], &big[..]),
                ]
                .into_iter(),
            );
            let b = content_hash(
                kind,
                [
                    ("a", Dtype::I8, vec![big.len()], &big[..]),
                    ("b", Dtype::I8, vec![4], &small[..]),
                ]
                .into_iter(),
            );
            assert_eq!(a, b, "{kind:?}: order of tensors");
            let c = content_hash(
                kind,
                [
                    ("a", Dtype::I8, vec![big.len()], &big[..]),
                    ("b", Dtype::I8, vec![2, 2], &small[..]),
                ]
                .into_iter(),
            );
            assert_ne!(a, c, "{kind:?}: a shape");
            // One stream fed at once equals the pieces.
            let mut whole = Hasher::new(kind);
            whole.update(b"a\0I8\0");
            whole.update(&(big.len() as u64).to_le_bytes());
            whole.update(&big);
            whole.update(b"b\0I8\0");
            whole.update(&4u64.to_le_bytes());
            whole.update(&small);
            assert_eq!(whole.hex(), a, "{kind:?}");
        }
    }
}
