//! A bank split by rows over shards (the browser's CPU workers) computes what the whole bank
//! does: the two rounds of `georange::model::combine` run here as `js/shards.js` runs them,
//! and their embeddings and explanations are compared with one model over the whole bank.

use crate::common::*;
use georange::bank::{shard_files, shard_ranges, slice_file};
use georange::model::{Combined, add_concatenated_parts, add_shard_parts, combine};
use georange::{Backend, Bank, Encoder, Model, StorageDtype, Variant};

fn load(enc: &Encoder, bank: &Bank, cutoff: Option<f64>) -> Model {
    let (device, compute) = Backend::Cpu.device().unwrap();
    let mut m = Model::new(enc, Some(bank), &device, compute).unwrap();
    m.set_geo_cutoff(cutoff).unwrap();
    m
}

/// The fixture bank as a file in `dtype`, and the bank that file holds.
fn bank_file(dtype: StorageDtype) -> (Encoder, Vec<u8>, Bank) {
    let (enc, bank) = converted(&L40, dtype);
    let bytes = bank.to_bytes(dtype).unwrap();
    let bank = Bank::from_bytes(&bytes, "bank").unwrap();
    (enc, bytes, bank)
}

/// The bank file cut into `parts` shards, each loaded as its own model, with its first row.
fn shards(enc: &Encoder, bytes: &[u8], parts: usize, cutoff: Option<f64>) -> Vec<(usize, Model)> {
    shard_files(bytes, "bank", parts)
        .unwrap()
        .into_iter()
        .map(|(a, file)| (a, load(enc, &Bank::from_shard(&file, "shard").unwrap(), cutoff)))
        .collect()
}

/// Both rounds for one batch; `exact` as the caller passes it. Returns the batch's rows and
/// the points `combine` found no row near.
fn rounds(shards: &[(usize, Model)], pts: &[f64], v: Variant, exact: &[bool]) -> (Vec<f32>, Vec<bool>) {
    let scores: Vec<_> = shards
        .iter()
        .map(|(_, m)| m.score_shard(pts, v, exact, 0).unwrap())
        .collect();
    let max: Vec<&[f32]> = scores.iter().map(|s| s.max()).collect();
    let sum: Vec<&[f64]> = scores.iter().map(|s| s.sum()).collect();
    let c = combine(&max, &sum, &scores[0].head_weights, &scores[0].pruned).unwrap();
    // As the browser's workers carry the reports: concatenated in shard order.
    let (w, p) = (&scores[0].head_weights, &scores[0].pruned);
    let flat = Combined::from_concatenated(&max.concat(), &sum.concat(), w, p, shards.len()).unwrap();
    assert_eq!((&flat.coef, &flat.missing), (&c.coef, &c.missing));
    let q = scores[0].q.clone();
    let parts: Vec<Vec<f32>> = shards
        .iter()
        .zip(scores.into_iter().zip(&c.coef))
        .map(|((_, m), (s, coef))| m.accumulate_shard(s, coef).unwrap())
        .collect();
    let parts: Vec<&[f32]> = parts.iter().map(Vec::as_slice).collect();
    let rows = add_shard_parts(&parts, &q, pts.len() / 2, 0).unwrap();
    let flat = add_concatenated_parts(&parts.concat(), parts.len(), &q, pts.len() / 2, 0).unwrap();
    assert_eq!(flat, rows);
    (rows, c.missing)
}

/// Embeds like `js/shards.js`: batches of `shard_batch` points (all of them at once unless
/// the cut-off applies: the stream's two passes; a few at a time: the CPU kernel's passes); a batch
/// with points that no shard has a row near is scored again with those points exact.
fn sharded_embed(shards: &[(usize, Model)], pts: &[f64], v: Variant) -> (Vec<f32>, usize) {
    let mut out = Vec::new();
    let mut rescored = 0;
    for chunk in pts.chunks(shards[0].1.shard_batch(v) * 2) {
        let (rows, missing) = rounds(shards, chunk, v, &[]);
        if missing.iter().any(|&m| m) {
            rescored += missing.iter().filter(|&&m| m).count();
            let (rows, again) = rounds(shards, chunk, v, &missing);
            assert!(!again.iter().any(|&m| m), "exact points are never missing");
            out.extend(rows);
        } else {
            out.extend(rows);
        }
    }
    (out, rescored)
}

#[test]
fn shards_compute_what_the_whole_bank_does() {
    // More points than the CPU kernel's passes take at once: without the cut-off, the shards stream.
    let pts: Vec<f64> = [queries(), queries(), queries(), queries()].concat();
    for dtype in [StorageDtype::F32, StorageDtype::Int8] {
        let (enc, bytes, bank) = bank_file(dtype);
        // 4° leaves some points no row at all, and many shards none for some point.
        for cutoff in [None, Some(40.0), Some(4.0)] {
            let whole = load(&enc, &bank, cutoff);
            for parts in [1, 2, 3, 7] {
                let sharded = shards(&enc, &bytes, parts, cutoff);
                for v in [
                    Variant::Range,
                    Variant::RangePlus { beta: 0.5 },
                    Variant::RangePlus { beta: 0.0 },
                    Variant::RangePlus { beta: 1.0 },
                ] {
                    let expected = whole.embed(&pts, v, 32, &mut |_| {}).unwrap();
                    let (got, rescored) = sharded_embed(&sharded, &pts, v);
                    let (dim, vd) = (whole.dim(v), bank.value_dim);
                    // f32 rounding only: the same terms summed in another order.
                    let err = worst(&got, &expected, dim, vd);
                    assert!(
                        err <= 1e-5,
                        "{dtype:?} cut-off {cutoff:?} {parts} shards {v:?}: relative error {err:.2e}"
                    );
                    let q_err = got
                        .chunks(dim)
                        .zip(expected.chunks(dim))
                        .map(|(a, b)| rel(&a[vd..], &b[vd..]))
                        .fold(0.0, f64::max);
                    assert!(q_err <= 1e-6, "encoder part: {q_err:.2e}");
                    let geo = v != Variant::RangePlus { beta: 1.0 } && v != Variant::Range;
                    if cutoff == Some(4.0) && geo {
                        assert!(rescored > 0, "the 4° cut-off should leave some point with no row near");
                    } else {
                        assert_eq!(rescored, 0);
                    }
                }
            }
        }
    }
}

#[test]
fn streamed_shards_with_huge_values_keep_their_maxima() {
    // Values near 1e30: each shard's stream keeps a running maximum (its scores could not be
    // summed as they are), and round 2 must rescale from it to the whole bank's.
    let (enc, bank) = converted(&L40, StorageDtype::F32);
    let huge = Bank::new(
        bank.locs.clone(),
        bank.keys.to_f32(),
        bank.values.to_f32().iter().map(|v| v * 1e30).collect(),
        bank.key_dim,
        bank.value_dim,
        &bank.encoder_id,
    )
    .unwrap();
    let bytes = huge.to_bytes(StorageDtype::F32).unwrap();
    let whole = load(&enc, &Bank::from_bytes(&bytes, "bank").unwrap(), None);
    let mut sharded = shards(&enc, &bytes, 3, None);
    // The smallest tiles, so that each shard's stream crosses tiles.
    sharded.iter_mut().for_each(|(_, m)| m.set_tile_budget(1));
    let pts: Vec<f64> = [queries(), queries(), queries(), queries()].concat();
    for v in [Variant::Range, Variant::RangePlus { beta: 0.5 }] {
        assert!(sharded[0].1.shard_batch(v) >= pts.len() / 2, "one streamed batch");
        let expected = whole.embed(&pts, v, pts.len() / 2, &mut |_| {}).unwrap();
        let (got, _) = sharded_embed(&sharded, &pts, v);
        let err = worst(&got, &expected, whole.dim(v), bank.value_dim);
        assert!(err <= 1e-5, "{v:?}: relative error {err:.2e}");
    }
}

/// A shard keeps its scores between the rounds (at most 4M of them) instead of scoring its
/// rows again. Where the keys are at least as wide as the values, it takes streamed batches
/// only as large as that allows — more than the CPU kernel's passes take — and a larger batch goes
/// in several; they compute what the whole bank does. 40,000 rows over two shards: RANGE
/// keeps 209 points' scores, RANGE+ 104. With wider values the batch is not cut.
#[test]
fn shards_keep_their_scores_in_batches_sized_for_them() {
    let (enc, _) = converted(&L40, StorageDtype::F32);
    let (rows, kd) = (40_000, enc.embed_dim());
    let vd = kd;
    let locs: Vec<f32> = (0..rows)
        .flat_map(|i| [((i * 37) % 360) as f32 - 180.0, ((i * 11) % 180) as f32 - 90.0])
        .collect();
    let bank = Bank::new(locs, noise(rows * kd, 5), noise(rows * vd, 6), kd, vd, &enc.id).unwrap();
    let bytes = bank.to_bytes(StorageDtype::Int8).unwrap();
    let whole = load(&enc, &Bank::from_bytes(&bytes, "bank").unwrap(), None);
    let sharded = shards(&enc, &bytes, 2, None);
    let pts: Vec<f64> = [queries(), queries(), queries(), queries()].concat();
    for (v, heads, kernel_most) in [(Variant::Range, 1, 16), (Variant::RangePlus { beta: 0.5 }, 2, 32)] {
        let batch = sharded[0].1.shard_batch(v);
        assert!(
            batch > kernel_most && batch * (rows / 2) * heads <= 4 << 20 && batch < pts.len() / 2,
            "{v:?}: batches of {batch}"
        );
        let expected = whole.embed(&pts, v, 64, &mut |_| {}).unwrap();
        let (got, _) = sharded_embed(&sharded, &pts, v);
        let err = worst(&got, &expected, whole.dim(v), vd);
        assert!(err <= 1e-5, "{v:?}: relative error {err:.2e}");
    }
    let wide = Bank::new(
        bank.locs.clone(),
        bank.keys.to_f32(),
        noise(rows * (kd + 4), 7),
        kd,
        kd + 4,
        &enc.id,
    )
    .unwrap();
    let wide = load(&enc, &wide, None);
    assert_eq!(
        wide.shard_batch(Variant::Range),
        wide.max_batch(),
        "values wider than keys: no cut"
    );
}

#[test]
fn shards_explain_what_the_whole_bank_explains() {
    let (enc, bytes, bank) = bank_file(StorageDtype::Int8);
    let whole = load(&enc, &bank, Some(40.0));
    // Explanations are exact whatever the cut-off: every shard ignores it for them.
    let sharded = shards(&enc, &bytes, 3, Some(40.0));
    for v in [Variant::Range, Variant::RangePlus { beta: 0.3 }] {
        let (lon, lat) = (12.5, 41.9);
        let expected = whole.explain(lon, lat, v, 8).unwrap();
        let scores: Vec<_> = sharded
            .iter()
            .map(|(_, m)| m.score_shard(&[lon, lat], v, &[true], 0).unwrap())
            .collect();
        let max: Vec<&[f32]> = scores.iter().map(|s| s.max()).collect();
        let sum: Vec<&[f64]> = scores.iter().map(|s| s.sum()).collect();
        let c = combine(&max, &sum, &scores[0].head_weights, &scores[0].pruned).unwrap();
        let mut got: Vec<_> = sharded
            .iter()
            .zip(scores.into_iter().zip(&c.coef))
            .flat_map(|((start, m), (s, coef))| {
                let mut top = m.explain_shard(s, coef, 8).unwrap();
                top.iter_mut().for_each(|t| t.row += start);
                top
            })
            .collect();
        got.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        got.truncate(8);
        for (g, e) in got.iter().zip(&expected) {
            assert_eq!((g.row, g.lon, g.lat), (e.row, e.lon, e.lat), "{v:?}");
            assert!(
                (g.weight - e.weight).abs() <= 1e-6 * e.weight.max(1e-3),
                "{v:?}: {g:?} vs {e:?}"
            );
        }
    }
}

#[test]
fn a_shard_file_holds_its_rows_exactly() {
    for dtype in [StorageDtype::F32, StorageDtype::F16, StorageDtype::Int8] {
        let (_, bytes, bank) = bank_file(dtype);
        let part = Bank::from_bytes(&slice_file(&bytes, "bank", 100, 300).unwrap(), "shard").unwrap();
        assert_eq!(part.rows(), 200);
        assert_eq!(part.precision, dtype);
        assert!(part.locs == bank.locs[200..600], "{dtype:?}: locations differ");
        let rows: Vec<usize> = (100..300).collect();
        assert!(part.keys == bank.keys.permuted(&rows), "{dtype:?}: keys differ");
        assert!(part.values == bank.values.permuted(&rows), "{dtype:?}: values differ");
        for (a, z) in [(0, 0), (300, 100), (0, bank.rows() + 1)] {
            let err = slice_file(&bytes, "bank", a, z).unwrap_err().to_string();
            assert!(err.contains("not a non-empty part"), "{err}");
        }
    }
    let (_, bytes, bank) = bank_file(StorageDtype::Int8);
    let starts: Vec<usize> = shard_files(&bytes, "bank", 3)
        .unwrap()
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    assert_eq!(starts, [0, bank.rows() / 3, 2 * bank.rows() / 3]);
    assert_eq!(shard_ranges(10, 3), vec![(0, 3), (3, 6), (6, 10)]);
    assert_eq!(shard_ranges(2, 5), vec![(0, 1), (1, 2)]);
}

#[test]
fn shards_carry_no_hash_of_their_own_and_are_read_only_as_shards() {
    let (_, bytes, bank) = bank_file(StorageDtype::Int8);
    let shards = shard_files(&bytes, "bank", 2).unwrap();
    let (a, shard) = &shards[1];
    // The same rows, byte for byte in the tensors, as a part cut with a hash of its own.
    let part = Bank::from_shard(shard, "shard").unwrap();
    let file = Bank::from_bytes(&slice_file(&bytes, "bank", *a, bank.rows()).unwrap(), "part").unwrap();
    assert!(part.keys == file.keys && part.values == file.values && part.locs == file.locs);

    let err = Bank::from_bytes(shard, "shard").unwrap_err().to_string();
    assert!(err.contains("bank shard cut in memory"), "{err}");
    let err = Bank::from_shard(&bytes, "bank").unwrap_err().to_string();
    assert!(err.contains("not a shard"), "{err}");
    // Without a hash the structure is still checked: a cut-short shard is refused, not read.
    for len in [0, 7, 100, shard.len() / 2, shard.len() - 1] {
        let err = Bank::from_shard(&shard[..len], "shard").unwrap_err().to_string();
        assert!(err.contains("shard"), "{len} bytes: {err}");
    }
}

#[test]
fn mismatched_reports_and_batches_are_refused() {
    let (enc, bank) = converted(&L40, StorageDtype::Int8);
    let m = load(&enc, &bank, None);
    let too_many = vec![0.0; (m.shard_batch(Variant::Range) + 1) * 2];
    assert!(m.score_shard(&too_many, Variant::Range, &[], 0).is_err());
    // A streamed batch (more points than the CPU kernel's passes take) checks its coefficients too.
    let many: Vec<f64> = [queries(), queries(), queries(), queries()].concat();
    let score = || m.score_shard(&many, Variant::Range, &[], 0).unwrap();
    assert!(m.accumulate_shard(score(), &[1.0, 1.0]).is_err());
    assert!(m.explain_shard(score(), &vec![1.0; many.len() / 2], 3).is_err());
    assert!(
        m.score_shard(&[0.0, 0.0, 1.0, 1.0], Variant::Range, &[true], 0)
            .is_err()
    );
    assert!(m.score_shard(&[0.0, 0.0], Variant::Encoder, &[], 0).is_err());
    let err = m
        .score_shard(&[0.0, f64::NAN], Variant::Range, &[], 0)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("row 0"), "{err}");
    // A batch that starts at the caller's row 40 names the caller's row.
    let err = m
        .score_shard(&[0.0, 0.0, 0.0, 91.0], Variant::Range, &[], 40)
        .err()
        .unwrap();
    assert_eq!(err.row(), Some(41));
    assert!(err.to_string().starts_with("row 41:"), "{err}");
    let score = || m.score_shard(&[0.0, 0.0], Variant::Range, &[], 0).unwrap();
    assert!(m.accumulate_shard(score(), &[1.0, 1.0]).is_err());
    assert!(m.explain_shard(score(), &[], 3).is_err());
    // A round goes back only to the model that scored it (a second use does not compile: the
    // round is taken by value).
    let other = load(&enc, &bank, None);
    let err = other.accumulate_shard(score(), &[1.0]).unwrap_err();
    assert_eq!(err.code(), "invalid_argument");
    assert!(m.accumulate_shard(score(), &[1.0]).is_ok());
    assert!(combine(&[&[0.0, 0.0]], &[&[1.0]], &[1.0], &[false]).is_err());
    assert!(combine(&[&[0.0]], &[&[1.0]], &[1.0, 1.0], &[false]).is_err());
    assert!(add_shard_parts(&[&[1.0, 2.0]], &[0.5], 2, 0).is_err());
    for shards in [0, 2] {
        let err = Combined::from_concatenated(&[0.0; 3], &[1.0; 3], &[1.0], &[false], shards).unwrap_err();
        assert_eq!(err.code(), "pair_mismatch");
        let err = add_concatenated_parts(&[1.0; 3], shards, &[0.5], 1, 0).unwrap_err();
        assert_eq!(err.code(), "pair_mismatch");
    }
    let err = add_shard_parts(&[&[1.0, f32::NAN]], &[0.5, 0.5], 2, 0)
        .unwrap_err()
        .to_string();
    assert!(err.contains("row 1") && err.contains("not finite"), "{err}");
    let err = add_shard_parts(&[&[1.0, f32::NAN]], &[0.5, 0.5], 2, 7).unwrap_err();
    assert_eq!(err.row(), Some(8));
}
