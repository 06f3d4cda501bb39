//! "Places like this" (`Model::similar_rows`) against a brute-force cosine over the bank's
//! rows as the file stores them, for f32 and int8 banks, by values and by keys.

use crate::common::*;
use georange::{Backend, Compare, Model, StorageDtype, Variant};

/// Brute force: every row's cosine with `query` in f64, from the rows as f32.
fn brute_force(rows: &[f32], width: usize, query: &[f32]) -> Vec<f64> {
    rows.chunks_exact(width)
        .map(|r| {
            let dot: f64 = r.iter().zip(query).map(|(a, b)| f64::from(*a) * f64::from(*b)).sum();
            let n = norm(r) * norm(query);
            if n > 0.0 { dot / n } else { 0.0 }
        })
        .collect()
}

#[test]
fn ranking_matches_brute_force_for_f32_and_int8_banks_by_values_and_keys() {
    let (device, dtype) = Backend::Cpu.device().unwrap();
    for storage in [StorageDtype::F32, StorageDtype::Int8] {
        let (enc, bank) = converted(&L40, storage);
        let model = Model::new(&enc, Some(&bank), &device, dtype).unwrap();
        let (values, keys) = (bank.values.to_f32(), bank.keys.to_f32());
        let points = [(12.5, 41.9), (-70.0, -33.4), (179.9, 0.0), (0.0, 89.9)];
        for &(lon, lat) in &points {
            let e = model.embed(&[lon, lat], Variant::Range, 1, &mut |_| {}).unwrap();
            let (high, q) = e.split_at(bank.value_dim);
            for (by, rows, width, query) in [
                (Compare::Values, &values, bank.value_dim, high),
                (Compare::Keys, &keys, bank.key_dim, q),
            ] {
                let want = brute_force(rows, width, query);
                let k = 20;
                let got = model.similar_rows(query, by, k).unwrap();
                assert_eq!(got.len(), k);
                // Tolerance: f32 sums over a few hundred products, 1e-5 in the cosine.
                for (i, s) in got.iter().enumerate() {
                    assert!(
                        (f64::from(s.similarity) - want[s.row]).abs() < 1e-5,
                        "{storage:?} {by:?} rank {i}"
                    );
                    assert_eq!((s.lon, s.lat), (bank.locs[2 * s.row], bank.locs[2 * s.row + 1]));
                }
                // The same rows as the brute force's top k, up to ties within the tolerance.
                let mut sorted = want.clone();
                sorted.sort_by(|a, b| b.total_cmp(a));
                let kth = sorted[k - 1];
                for s in &got {
                    assert!(
                        want[s.row] >= kth - 1e-5,
                        "{storage:?} {by:?}: row {} is not in the top {k}",
                        s.row
                    );
                }
                assert!(got.windows(2).all(|w| w[0].similarity >= w[1].similarity));
            }
        }
    }
}

#[test]
fn a_query_of_the_wrong_width_or_with_nan_is_refused() {
    let (device, dtype) = Backend::Cpu.device().unwrap();
    let (enc, bank) = converted(&L40, StorageDtype::F32);
    let model = Model::new(&enc, Some(&bank), &device, dtype).unwrap();
    let e = model.similar_rows(&[1.0; 3], Compare::Values, 5).unwrap_err();
    assert_eq!(e.code(), "invalid_argument");
    assert!(e.to_string().contains(&bank.value_dim.to_string()), "{e}");
    let mut q = vec![1.0; bank.key_dim];
    q[7] = f32::NAN;
    assert_eq!(
        model.similar_rows(&q, Compare::Keys, 5).unwrap_err().code(),
        "invalid_argument"
    );
    let no_bank = Model::new(&enc, None, &device, dtype).unwrap();
    assert_eq!(
        no_bank.similar_rows(&q, Compare::Keys, 5).unwrap_err().code(),
        "invalid_argument"
    );
    // More rows asked for than the bank has: all of them.
    let all = model
        .similar_rows(&vec![1.0; bank.key_dim], Compare::Keys, 1 << 20)
        .unwrap();
    assert_eq!(all.len(), bank.locs.len() / 2);
}
