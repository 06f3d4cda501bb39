//! cfg aliases: one name for each build condition that several modules test, so that a
//! condition is written once (here) and every `#[cfg]` names what it means.

fn main() {
    cfg_aliases::cfg_aliases! {
        // Our own GPU attention kernel (src/attention/fused.rs): WGSL builds, native and the
        // browser's. The `vulkan` build wraps device tensors in burn's fusion, which the kernel
        // cannot read; there the route is a stub that says so (src/attention/fused_stub.rs).
        gpu_kernel: { all(feature = "wgpu", not(feature = "vulkan")) },
        // The browser build's CPU loops in WebAssembly SIMD intrinsics (src/attention/cpu/simd128.rs).
        wasm_simd: { all(target_arch = "wasm32", target_feature = "simd128") },
        // burn's attention op for the flash route (src/attention/flash_op.rs): native builds.
        // The browser's would be burn's unfused op; it gets a stub (flash_op_stub.rs).
        flash_op: { not(target_arch = "wasm32") },
        // Every #[wasm_bindgen] item (src/wasm.rs): the npm package's build.
        web_api: { all(target_arch = "wasm32", feature = "web") },
    }
}
