//! The one choice of how a GPU runs the exact heads over the whole bank ([`GpuAttention`]),
//! held on the [`Model`] with what each route needs, and the call into each route.

use burn::tensor::Tensor;

use super::{Model, unit_vectors};
use crate::attention::flash::{self, FlashBank};
use crate::attention::fused::{self, FusedBank};
use crate::attention::stream::stream_parallel;
use crate::attention::{Against, GpuAttention, HeadSpec};
use crate::bank::{BankView, Matrices};
use crate::error::{Error, Result};

/// The route a model's exact heads take.
// One per model: the size of its largest variant costs nothing (and builds without the fused
// kernel have an empty FusedBank, which clippy would otherwise flag).
#[allow(clippy::large_enum_variant)]
pub(super) enum Route {
    /// Streamed tiles ([`crate::attention::stream`]): every device; the CPU's batches.
    Stream,
    /// burn's attention op, with the bank's geographic side prepared for it.
    Flash(FlashBank),
    /// Our own GPU kernel, with the bank as it reads it (never built where the build lacks it).
    Fused(FusedBank),
}

impl Model {
    /// How a GPU runs the exact heads over the whole bank: streamed tiles (the default),
    /// burn's attention op ([`GpuAttention::Flash`]: autotuned flash-attention kernels in the
    /// `vulkan` build, burn's unfused op elsewhere; f16-class in accuracy where its accelerated
    /// kernels multiply in f16) or our own kernel ([`GpuAttention::Fused`]: the default wgpu
    /// build and the browser's; exact to f32 rounding). RANGE+ with a geographic cut-off still
    /// streams its pruned head. An error without a bank, on the CPU, for Flash with an int8
    /// bank, for Flash with an f16 bank outside the `vulkan` build, and for a route this build
    /// lacks ([`Error::Unavailable`]).
    pub fn set_gpu_attention(&mut self, mode: GpuAttention) -> Result<()> {
        let bank = self
            .bank
            .as_ref()
            .ok_or_else(|| Error::Invalid("the GPU attention applies to a bank, and this model has none".into()))?;
        self.route = match (mode, &bank.matrices) {
            (GpuAttention::Stream, _) => Route::Stream,
            (GpuAttention::Flash, Matrices::Device { values, .. }) => {
                flash::available()?;
                flash::check_dtype(values.dtype())?;
                Route::Flash(FlashBank::new(&bank.xyz_host, &self.device, values.dtype()))
            }
            (GpuAttention::Flash, _) => return Err(flash::unsupported()),
            (GpuAttention::Fused, _) => Route::Fused(FusedBank::new(&bank.view(), &bank.xyz_host, &self.device)?),
        };
        Ok(())
    }

    /// How the exact heads run over the bank now ([`set_gpu_attention`](Self::set_gpu_attention));
    /// `None` without a bank.
    pub fn gpu_attention(&self) -> Option<GpuAttention> {
        self.bank.as_ref()?;
        Some(match self.route {
            Route::Stream => GpuAttention::Stream,
            Route::Flash(_) => GpuAttention::Flash,
            Route::Fused(_) => GpuAttention::Fused,
        })
    }

    /// Each head of `specs` over the whole bank, by the route chosen. `mix` (streamed on the
    /// CPU only): the heads' weights, for one weighted sum instead of one output per head.
    pub(super) fn whole_bank_heads(
        &self,
        view: &BankView,
        specs: &[HeadSpec],
        q: &Tensor<2>,
        lonlat: &[f64],
        (tile, threads, mix): (usize, usize, Option<&[f32]>),
    ) -> Result<Vec<Tensor<2>>> {
        match &self.route {
            Route::Stream => {
                let queries: Vec<Tensor<2>> = specs.iter().map(|h| self.head_queries(h, q, lonlat)).collect();
                stream_parallel(view, &queries, specs, tile, (threads, mix))
            }
            Route::Flash(bank) => {
                let prepared: Vec<(Tensor<2>, Against)> = specs
                    .iter()
                    .map(|h| match h.against {
                        Against::Keys => (flash::key_queries(q, h.scale), h.against),
                        Against::Locations => (
                            flash::location_queries(&unit_vectors(lonlat), h.scale, &self.device),
                            h.against,
                        ),
                    })
                    .collect();
                flash::attend(view, bank, &prepared, flash::chunk_rows(view.rows, self.tile_budget))
            }
            Route::Fused(bank) => {
                let heads: Vec<(Tensor<2>, Against, f32)> = specs
                    .iter()
                    .map(|h| (self.head_queries(h, q, lonlat), h.against, h.scale))
                    .collect();
                fused::attend_heads(view, bank, &heads)
            }
        }
    }
}
