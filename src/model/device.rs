//! The device decision, in one place: from what a caller asks for ([`DeviceRequest`]) and what
//! the runtime found ([`DeviceFacts`]: a GPU API, its adapter, software or not, a device lost
//! earlier; the bank's size and the cores for CPU workers), where a model runs, on how many
//! CPU workers, and the notes that say why that differs from the request ([`DevicePlan`]).
//!
//! The browser's JavaScript probes the facts (`navigator.gpu`, the adapter) and asks
//! [`plan_device`] (through `src/wasm.rs`) on every load, the reload after a lost device
//! included; natively the adapter request in [`super::Model::load`] is the probe, and its
//! failure goes through the same function.

use crate::backend::Backend;
use crate::error::{Error, Result};

/// The note given when no GPU can be had and the CPU computes instead.
pub const NO_GPU_NOTE: &str = "WebGPU unavailable (no usable adapter); using the CPU";

/// Why 'auto' skips a software adapter (Chromium's SwiftShader ran RANGE 14–53× slower than
/// the CPU path: BENCHMARKS.md).
pub const SOFTWARE_ADAPTER_NOTE: &str = "WebGPU has only a software adapter here, slower than the CPU path; using the CPU (device: 'webgpu' uses it anyway)";

/// The note after a GPU device was lost: this and later loads compute on the CPU.
pub const DEVICE_LOST_NOTE: &str = "the WebGPU device was lost; using the CPU";

/// With [`Workers::Auto`], banks of at least this many bytes are split over CPU workers: a
/// single point then costs several milliseconds on one thread (BENCHMARKS.md), and each
/// worker halves, thirds… that.
pub const AUTO_WORKERS_MIN_BYTES: usize = 16 << 20;

/// With [`Workers::Auto`], at most this many workers (each reads its rows once per point;
/// more cores than this rarely have the memory bandwidth to gain).
pub const AUTO_WORKERS_MAX: usize = 8;

/// Where a caller asks a model to run. One name for the GPU everywhere: `webgpu` (the API
/// wgpu implements, natively on Vulkan/Metal); `wgpu` and `gpu` are read as it too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum DeviceRequest {
    /// The GPU where a hardware adapter exists, else the CPU (a note says why).
    Auto,
    /// The CPU.
    #[default]
    Cpu,
    /// The GPU, or an error.
    #[cfg_attr(feature = "cli", value(alias = "wgpu", alias = "gpu"))]
    Webgpu,
}

impl DeviceRequest {
    /// Parses `auto`, `cpu` or `webgpu` (also `wgpu`, `gpu`).
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "auto" => Ok(Self::Auto),
            "cpu" => Ok(Self::Cpu),
            "webgpu" | "wgpu" | "gpu" => Ok(Self::Webgpu),
            other => Err(Error::Invalid(format!(
                "unknown device {other:?} (auto, webgpu or cpu)"
            ))),
        }
    }
}

/// How many CPU workers a bank may be split over (the browser's CPU path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workers {
    /// One per core (up to [`AUTO_WORKERS_MAX`]) for a bank of at least
    /// [`AUTO_WORKERS_MIN_BYTES`], where workers can start; else the calling thread alone.
    Auto,
    /// This many (1: the calling thread alone).
    Count(usize),
}

/// What the runtime found, for [`plan_device`].
#[derive(Clone, Debug, Default)]
pub struct DeviceFacts {
    /// Whether a GPU API is there to ask (a browser's `navigator.gpu`; natively always).
    pub gpu_api: bool,
    /// Whether it gave an adapter (natively: whether the device request succeeded).
    pub adapter: bool,
    /// Whether that adapter is a software one (SwiftShader, lavapipe's kin in a browser).
    pub software: bool,
    /// Whether a GPU device was lost earlier in this page or process.
    pub lost: bool,
    /// The bank file's size in bytes (0 without a bank).
    pub bank_bytes: usize,
    /// The cores this process may use.
    pub cores: usize,
    /// Whether CPU workers can start here.
    pub can_start_workers: bool,
}

/// Where a model runs and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DevicePlan {
    pub backend: Backend,
    /// CPU workers that split the bank (1: the calling thread alone; always 1 on a GPU).
    pub workers: usize,
    /// One line each for the user, when the backend differs from the request.
    pub notes: Vec<String>,
}

/// Decides where a model runs (see the module docs). Errors: a GPU asked for where there is
/// no GPU API (`unavailable`) or after a device was lost (`device_lost`); a worker count of 0.
pub fn plan_device(request: DeviceRequest, workers: Workers, facts: &DeviceFacts) -> Result<DevicePlan> {
    let backend = plan_backend(request, facts)?;
    let mut notes = Vec::new();
    if backend == Backend::Cpu && request == DeviceRequest::Auto {
        notes.push(cpu_note(facts).into());
    }
    let workers = match backend {
        Backend::Wgpu => 1,
        Backend::Cpu => worker_count(workers, facts)?,
    };
    Ok(DevicePlan {
        backend,
        workers,
        notes,
    })
}

fn plan_backend(request: DeviceRequest, facts: &DeviceFacts) -> Result<Backend> {
    match request {
        DeviceRequest::Cpu => Ok(Backend::Cpu),
        DeviceRequest::Webgpu if facts.lost => Err(Error::DeviceLost(
            "a WebGPU device was lost earlier here; use device 'auto' or 'cpu'".into(),
        )),
        DeviceRequest::Webgpu if !facts.gpu_api => Err(Error::Unavailable(
            "no WebGPU here (navigator.gpu is missing); use device 'auto' or 'cpu'".into(),
        )),
        DeviceRequest::Webgpu => Ok(Backend::Wgpu),
        DeviceRequest::Auto if facts.lost || !facts.gpu_api || !facts.adapter || facts.software => Ok(Backend::Cpu),
        DeviceRequest::Auto => Ok(Backend::Wgpu),
    }
}

/// Why 'auto' chose the CPU.
fn cpu_note(facts: &DeviceFacts) -> &'static str {
    if facts.lost {
        DEVICE_LOST_NOTE
    } else if facts.gpu_api && facts.adapter && facts.software {
        SOFTWARE_ADAPTER_NOTE
    } else {
        NO_GPU_NOTE
    }
}

fn worker_count(workers: Workers, facts: &DeviceFacts) -> Result<usize> {
    match workers {
        Workers::Count(0) => Err(Error::Invalid(
            "workers must be 'auto' or a whole number ≥ 1, got 0".into(),
        )),
        Workers::Count(n) => Ok(n),
        Workers::Auto if facts.bank_bytes >= AUTO_WORKERS_MIN_BYTES && facts.can_start_workers => {
            Ok(facts.cores.clamp(1, AUTO_WORKERS_MAX))
        }
        Workers::Auto => Ok(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn browser(adapter: bool, software: bool) -> DeviceFacts {
        DeviceFacts {
            gpu_api: true,
            adapter,
            software,
            bank_bytes: 40 << 20,
            cores: 4,
            can_start_workers: true,
            ..DeviceFacts::default()
        }
    }

    #[test]
    fn auto_takes_a_hardware_adapter_and_passes_over_the_rest() {
        let plan = |f: &DeviceFacts| plan_device(DeviceRequest::Auto, Workers::Auto, f).unwrap();
        assert_eq!(
            plan(&browser(true, false)),
            DevicePlan {
                backend: Backend::Wgpu,
                workers: 1,
                notes: vec![]
            }
        );
        let soft = plan(&browser(true, true));
        assert_eq!((soft.backend, soft.workers), (Backend::Cpu, 4));
        assert_eq!(soft.notes, [SOFTWARE_ADAPTER_NOTE]);
        assert_eq!(plan(&browser(false, false)).notes, [NO_GPU_NOTE]);
        let none = DeviceFacts {
            gpu_api: false,
            ..browser(false, false)
        };
        assert_eq!(plan(&none).notes, [NO_GPU_NOTE]);
        // After a lost device: the CPU, with the workers a large bank gets.
        let lost = DeviceFacts {
            lost: true,
            ..browser(true, false)
        };
        assert_eq!(
            plan(&lost),
            DevicePlan {
                backend: Backend::Cpu,
                workers: 4,
                notes: vec![DEVICE_LOST_NOTE.into()]
            }
        );
    }

    #[test]
    fn a_gpu_asked_for_is_had_or_refused_with_a_code() {
        let webgpu = |f: &DeviceFacts| plan_device(DeviceRequest::Webgpu, Workers::Auto, f);
        assert_eq!(webgpu(&browser(true, true)).unwrap().backend, Backend::Wgpu);
        let lost = DeviceFacts {
            lost: true,
            ..browser(true, false)
        };
        assert_eq!(webgpu(&lost).unwrap_err().code(), "device_lost");
        let none = DeviceFacts {
            gpu_api: false,
            ..browser(false, false)
        };
        assert_eq!(webgpu(&none).unwrap_err().code(), "unavailable");
        let cpu = plan_device(DeviceRequest::Cpu, Workers::Auto, &none).unwrap();
        assert!(cpu.notes.is_empty());
    }

    #[test]
    fn workers_follow_the_bank_size_the_cores_and_the_callers_count() {
        let plan = |w, f: &DeviceFacts| plan_device(DeviceRequest::Cpu, w, f).map(|p| p.workers);
        let small = DeviceFacts {
            bank_bytes: 1 << 20,
            ..browser(false, false)
        };
        assert_eq!(plan(Workers::Auto, &small).unwrap(), 1);
        let many = DeviceFacts {
            cores: 64,
            ..browser(false, false)
        };
        assert_eq!(plan(Workers::Auto, &many).unwrap(), AUTO_WORKERS_MAX);
        let stuck = DeviceFacts {
            can_start_workers: false,
            ..browser(false, false)
        };
        assert_eq!(plan(Workers::Auto, &stuck).unwrap(), 1);
        assert_eq!(plan(Workers::Count(3), &small).unwrap(), 3);
        assert_eq!(plan(Workers::Count(0), &small).unwrap_err().code(), "invalid_argument");
        assert_eq!(DeviceRequest::parse("wgpu").unwrap(), DeviceRequest::Webgpu);
        assert_eq!(DeviceRequest::parse("tpu").unwrap_err().code(), "invalid_argument");
    }
}
