//! Our file readers and the checkpoint reader on damaged input: every truncation and many
//! flipped bytes give an error, never a panic or a silently different model.

use crate::common::*;
use georange::convert::ckpt::satclip_checkpoint;
use georange::{Bank, Encoder, StorageDtype};

#[test]
fn truncated_and_flipped_encoder_and_bank_files_are_refused() {
    let (enc, bank) = converted(&L10, StorageDtype::F32);
    for dtype in [StorageDtype::F32, StorageDtype::F16, StorageDtype::Int8] {
        let e = enc.to_bytes(dtype).unwrap();
        let b = bank.to_bytes(dtype).unwrap();
        for cut in (0..e.len()).step_by(e.len() / 97 + 1) {
            assert!(
                Encoder::from_bytes(&e[..cut], "e").is_err(),
                "encoder cut at {cut} accepted"
            );
        }
        for cut in (0..b.len()).step_by(b.len() / 97 + 1) {
            assert!(Bank::from_bytes(&b[..cut], "b").is_err(), "bank cut at {cut} accepted");
        }
        for at in (0..e.len()).step_by(e.len() / 61 + 1) {
            let mut x = e.clone();
            x[at] ^= 0x5a;
            if let Ok(got) = Encoder::from_bytes(&x, "e") {
                // Only a flip in ignorable header whitespace could pass; it must not change weights.
                assert_eq!(
                    got.weights,
                    Encoder::from_bytes(&e, "e").unwrap().weights,
                    "flip at {at} changed the model"
                );
            }
        }
    }
}

#[test]
fn truncated_checkpoints_are_refused() {
    let bytes = std::fs::read(fixture(L10.ckpt)).unwrap();
    let dir = std::env::temp_dir().join(format!("georange-ckpt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for cut in (0..bytes.len()).step_by(bytes.len() / 41 + 1) {
        let p = dir.join(format!("cut{cut}.ckpt"));
        std::fs::write(&p, &bytes[..cut]).unwrap();
        assert!(satclip_checkpoint(&p).is_err(), "checkpoint cut at {cut} accepted");
    }
}
