//! "Places like this": the bank's rows ranked by how alike they are to a query vector —
//! cosine similarity with each row's value (what the bank says the place looks like) or its
//! key (the encoder's view of it). An exact scan: on the host over the rows as stored
//! ([`crate::bank::similar`]), on a GPU as one product per tile. BENCHMARKS.md ("Places like
//! this") measures it against an HNSW index.

use burn::tensor::{DType, Tensor, TensorData};

use super::{Model, data_f32, read_f32};
use crate::bank::similar::cosine_rows;
use crate::bank::{Matrix, int8_tiles};
use crate::error::{Error, Result};

/// What a bank row is compared by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compare {
    /// Its value, against a vector as wide (e.g. the high-resolution part of an embedding).
    Values,
    /// Its key, against a vector as wide (e.g. the encoder part of an embedding).
    Keys,
}

impl Compare {
    /// Parses `values` or `keys`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "values" | "value" => Ok(Compare::Values),
            "keys" | "key" => Ok(Compare::Keys),
            other => Err(Error::Invalid(format!(
                "unknown comparison {other:?} (expected values or keys)"
            ))),
        }
    }
}

/// One bank row and how alike it is to the query.
#[derive(Clone, Debug, PartialEq)]
pub struct Similar {
    /// Row of the bank.
    pub row: usize,
    /// Cosine similarity with the query, in [−1, 1].
    pub similarity: f32,
    pub lon: f32,
    pub lat: f32,
}

impl Model {
    /// The `k` bank rows most alike to `query` by `by`, most alike first.
    pub fn similar_rows(&self, query: &[f32], by: Compare, k: usize) -> Result<Vec<Similar>> {
        match self.host_similarities(query, by)? {
            Some(s) => self.most_similar(s, k),
            None => self.most_similar(read_f32(self.device_similarities(query, by)?)?, k),
        }
    }

    /// [`similar_rows`](Self::similar_rows) with an asynchronous read (browsers).
    pub async fn similar_rows_async(&self, query: &[f32], by: Compare, k: usize) -> Result<Vec<Similar>> {
        match self.host_similarities(query, by)? {
            Some(s) => self.most_similar(s, k),
            None => {
                let data = self
                    .device_similarities(query, by)?
                    .into_data_async()
                    .await
                    .map_err(|e| Error::backend("reading a result back", e))?;
                self.most_similar(data_f32(data)?, k)
            }
        }
    }

    /// Checks that `query` is finite and as wide as what it is compared with (`by`).
    fn check_query(&self, query: &[f32], by: Compare) -> Result<()> {
        let bank = self.bank()?;
        let width = match by {
            Compare::Values => bank.value_dim,
            Compare::Keys => bank.key_dim,
        };
        if query.len() != width {
            return Err(Error::Invalid(format!(
                "a query compared by {by:?} must have {width} values (the bank's), got {}",
                query.len()
            )));
        }
        if query.iter().any(|v| !v.is_finite()) {
            return Err(Error::Invalid("the query holds a non-finite value".into()));
        }
        Ok(())
    }

    /// On the CPU: every row's similarity, in the bank's order; `None` on a GPU.
    fn host_similarities(&self, query: &[f32], by: Compare) -> Result<Option<Vec<f32>>> {
        self.check_query(query, by)?;
        let bank = self.bank()?;
        let Some(host) = bank.host() else { return Ok(None) };
        let rows = match by {
            Compare::Values => host.values,
            Compare::Keys => host.keys,
        };
        // Host rows are in spatial order (device row i is bank row order[i]).
        let spatial = cosine_rows(rows, query);
        let mut out = vec![0f32; spatial.len()];
        for (i, &s) in spatial.iter().enumerate() {
            out[bank.spatial.order[i]] = s;
        }
        Ok(Some(out))
    }

    /// On a GPU: every row's similarity, `[1, rows]` in the bank's order.
    fn device_similarities(&self, query: &[f32], by: Compare) -> Result<Tensor<2>> {
        let bank = self.bank()?;
        let view = bank.view();
        let matrix = match by {
            Compare::Values => view.values,
            Compare::Keys => view.keys,
        };
        let norm = query.iter().map(|v| v * v).sum::<f32>().sqrt().max(f32::MIN_POSITIVE);
        let q: Tensor<2> =
            Tensor::from_data(TensorData::new(query.to_vec(), [1, query.len()]), &self.device).div_scalar(norm);
        let pieces: Vec<(usize, usize)> = match matrix {
            Matrix::Tiles(_) => int8_tiles::aligned(0, bank.rows).collect(),
            _ => vec![(0, bank.rows)],
        };
        let parts = pieces.into_iter().map(|(start, len)| {
            let rows = matrix.rows(start, len).dequantize().cast(DType::F32);
            let norms = rows
                .clone()
                .powf_scalar(2.0)
                .sum_dim(1)
                .sqrt()
                .clamp_min(f32::MIN_POSITIVE);
            q.clone().matmul(rows.transpose()).div(norms.transpose())
        });
        Ok(Tensor::cat(parts.collect(), 1).select(1, bank.device_row.clone()))
    }

    fn most_similar(&self, similarity: Vec<f32>, k: usize) -> Result<Vec<Similar>> {
        Ok(self
            .top_located(&similarity, k)?
            .map(|(row, similarity, lon, lat)| Similar {
                row,
                similarity,
                lon,
                lat,
            })
            .collect())
    }
}
