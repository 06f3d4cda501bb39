//! Batches larger than a device can hold are split, not refused, and splitting changes
//! nothing beyond float summation order.

use crate::common::*;
use georange::{Backend, Model, StorageDtype, Variant};

#[test]
fn an_oversized_batch_is_split_with_the_same_result() {
    let (enc, bank) = converted(&L40, StorageDtype::F32);
    let (device, dtype) = Backend::Cpu.device().unwrap();
    let model = Model::new(&enc, Some(&bank), &device, dtype).unwrap();
    let max = model.max_batch();
    assert!(max >= 1000, "max_batch {max} is implausibly small");
    // max + 3 points (the query set, repeated): one call asking for them all in one batch.
    let q = queries();
    let points: Vec<f64> = q.iter().copied().cycle().take((max + 3) * 2).collect();
    let variant = Variant::RangePlus { beta: 0.5 };
    let mut steps = Vec::new();
    let whole = model
        .embed(&points, variant, usize::MAX, &mut |done| steps.push(done))
        .unwrap();
    assert_eq!(steps, vec![max, max + 3], "expected a split after max_batch points");
    // The rows past the split repeat earlier rows: they must agree with them. The last three
    // form a batch small enough for the fused CPU path (tests/cpu_kernel.rs), the others were
    // streamed: the same sums in another order, so they agree to f32 rounding.
    let dim = model.dim(variant);
    let period = q.len() / 2;
    for row in [max, max + 1, max + 2] {
        let same = row % period;
        let diff = max_abs(&whole[row * dim..(row + 1) * dim], &whole[same * dim..(same + 1) * dim]);
        assert!(diff <= 1e-5, "row {row} differs from row {same} by {diff}");
    }
}
