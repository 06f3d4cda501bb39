//! The integration tests: one binary (linking burn and wgpu once), one module per subject.
//! `tests/gpu.rs` is the other binary: the same parity on burn-wgpu (Vulkan; Mesa's lavapipe
//! on a machine without a GPU), kept apart so that `cargo test --test integration` needs no GPU
//! driver.

mod common;

mod batching;
mod cli;
mod corrupt_files;
mod cpu_kernel;
mod geoclip;
mod hostile;
mod int8_compute;
mod layers;
mod owned;
mod parity;
mod probe;
mod pruning;
mod shards;
mod similar;
