//! A model built from an encoder and a bank it takes over (`Model::from_owned`: weights freed
//! as they are uploaded, bank rows reordered in place) computes exactly what one built from
//! borrowed ones does: the same bits, for every stored precision and model.

use crate::common::*;
use georange::{Backend, Model, StorageDtype, Variant};

#[test]
fn a_model_from_owned_parts_gives_the_same_bits() {
    let (device, dtype) = Backend::Cpu.device().unwrap();
    let q = queries();
    // The query set (the fused path for small batches) and 300 points in one batch (streamed).
    let many: Vec<f64> = q.iter().copied().cycle().take(600).collect();
    for precision in [StorageDtype::F32, StorageDtype::F16, StorageDtype::Int8] {
        let (enc, bank) = converted(&L40, precision);
        let borrowed = Model::new(&enc, Some(&bank), &device, dtype).unwrap();
        let owned = Model::from_owned(enc, Some(bank), &device, dtype).unwrap();
        for variant in [Variant::Encoder, Variant::Range, Variant::RangePlus { beta: 0.5 }] {
            for (points, batch) in [(&q, 32), (&many, 300)] {
                let a = borrowed.embed(points, variant, batch, &mut |_| {}).unwrap();
                let b = owned.embed(points, variant, batch, &mut |_| {}).unwrap();
                assert!(a.iter().any(|v| *v != 0.0), "{precision:?} {variant:?}: all zeros");
                assert_eq!(
                    a.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    b.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    "{precision:?} {variant:?}, batch {batch}"
                );
            }
        }
        // The heaviest rows of a point, named by their row in the bank file.
        let v = Variant::RangePlus { beta: 0.5 };
        assert_eq!(
            format!("{:?}", borrowed.explain(q[0], q[1], v, 10).unwrap()),
            format!("{:?}", owned.explain(q[0], q[1], v, 10).unwrap()),
            "{precision:?}"
        );
    }
}

#[test]
fn an_encoder_from_owned_parts_needs_no_bank() {
    let (device, dtype) = Backend::Cpu.device().unwrap();
    let (enc, _) = converted(&L10, StorageDtype::Int8);
    let borrowed = Model::new(&enc, None, &device, dtype).unwrap();
    let owned = Model::from_owned(enc, None, &device, dtype).unwrap();
    let a = borrowed.embed(&queries(), Variant::Encoder, 32, &mut |_| {}).unwrap();
    assert_eq!(a, owned.embed(&queries(), Variant::Encoder, 32, &mut |_| {}).unwrap());
    assert!(
        owned.embed(&queries(), Variant::Range, 32, &mut |_| {}).is_err(),
        "RANGE without a bank"
    );
}

/// A bank file taken over (`Bank::from_owned_bytes`: an int8 file's value codes kept where they
/// lie in its allocation) is the bank `Bank::from_bytes` reads, for every stored precision, as
/// a file and as shards; a damaged file gives the same error either way.
#[test]
fn a_bank_file_taken_over_is_the_bank_read_from_it() {
    use georange::Bank;
    use georange::bank::shard_files;
    let (_, bank) = converted(&L40, StorageDtype::F32);
    for precision in [StorageDtype::F32, StorageDtype::F16, StorageDtype::Int8] {
        let bytes = bank.to_bytes(precision).unwrap();
        let read = Bank::from_bytes(&bytes, "b").unwrap();
        assert_eq!(
            Bank::from_owned_bytes(bytes.clone(), "b").unwrap(),
            read,
            "{precision:?}"
        );
        for (_, shard) in shard_files(&bytes, "b", 3).unwrap() {
            let want = Bank::from_shard(&shard, "s").unwrap();
            assert_eq!(Bank::from_owned_shard(shard, "s").unwrap(), want, "{precision:?} shard");
        }
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        let cuts = (0..bytes.len()).step_by(bytes.len() / 53 + 1);
        for damaged in cuts.map(|c| bytes[..c].to_vec()).chain([flipped]) {
            let want = Bank::from_bytes(&damaged, "b").unwrap_err().to_string();
            let got = Bank::from_owned_bytes(damaged, "b").unwrap_err().to_string();
            assert_eq!(got, want, "{precision:?}");
        }
    }
}
