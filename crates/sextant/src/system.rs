//! System metrics for a run started with `system_metrics`: a thread samples CPU, memory,
//! disk and network I/O (`sysinfo`) and, when NVIDIA's driver library can be loaded at run
//! time, each GPU's utilisation and memory (`nvml-wrapper`), and logs them as `system/*`
//! metrics into the run until it ends. Native only, so it lives here and not in the core.

use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use sysinfo::{Networks, Pid, ProcessRefreshKind, ProcessesToUpdate, System};

use crate::flusher::Shared;

/// How often a run's system metrics are sampled.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

const MB: f64 = 1024.0 * 1024.0;

/// One run's sampling thread; [`Sampler::stop`] (or drop) ends it and waits for it.
#[derive(Debug)]
pub(crate) struct Sampler {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Sampler {
    /// Samples once right away (after the short gap CPU % needs, so even a short run has a
    /// point of each series), then every `interval` until stopped or until the run refuses
    /// points (it ended elsewhere).
    pub(crate) fn start(shared: Arc<Shared>, id: String, interval: Duration) -> Sampler {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("sextant-system-{id}"))
            .spawn(move || {
                let mut probe = Probe::new();
                // CPU % is a difference between two readings; the first needs a gap.
                std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
                loop {
                    let sample = probe.sample();
                    let values: Vec<(&str, f64)> = sample
                        .iter()
                        .filter(|(_, v)| v.is_finite())
                        .map(|(k, v)| (k.as_str(), *v))
                        .collect();
                    if shared
                        .tracker
                        .log_dynamics(&values, None, Some(&id))
                        .is_err()
                    {
                        return;
                    }
                    match stopped.recv_timeout(interval) {
                        Err(RecvTimeoutError::Timeout) => {}
                        _ => return,
                    }
                }
            });
        match thread {
            Ok(t) => Sampler {
                stop: Some(stop),
                thread: Some(t),
            },
            Err(e) => {
                eprintln!("sextant: cannot start the system metrics thread: {e}");
                Sampler {
                    stop: None,
                    thread: None,
                }
            }
        }
    }

    /// Stops sampling and waits for the thread, so nothing is logged after this returns.
    pub(crate) fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        self.halt();
    }
}

/// What one sample reads from: the system, this process, the network counters at start,
/// and NVML when its library loaded.
struct Probe {
    system: System,
    networks: Networks,
    pid: Option<Pid>,
    /// (received, sent) bytes over all interfaces when sampling began.
    net_start: (u64, u64),
    gpus: Option<nvml_wrapper::Nvml>,
}

impl Probe {
    fn new() -> Probe {
        let mut system = System::new();
        system.refresh_cpu_usage();
        let networks = Networks::new_with_refreshed_list();
        let net_start = totals(&networks);
        Probe {
            system,
            networks,
            pid: sysinfo::get_current_pid().ok(),
            net_start,
            // Loads libnvidia-ml at run time: no library or no GPU is no GPU series.
            gpus: nvml_wrapper::Nvml::init().ok(),
        }
    }

    /// The `system/*` values now. CPU % is over the time since the previous sample (the
    /// first sample's is since the probe started).
    fn sample(&mut self) -> Vec<(String, f64)> {
        let mut out = Vec::new();
        self.system.refresh_cpu_usage();
        out.push((
            "system/cpu_percent".into(),
            f64::from(self.system.global_cpu_usage()),
        ));
        self.system.refresh_memory();
        let (used, total) = (self.system.used_memory(), self.system.total_memory());
        out.push(("system/memory_used_mb".into(), used as f64 / MB));
        if total > 0 {
            out.push((
                "system/memory_percent".into(),
                used as f64 * 100.0 / total as f64,
            ));
        }
        if let Some(pid) = self.pid {
            self.system.refresh_processes_specifics(
                ProcessesToUpdate::Some(&[pid]),
                false,
                ProcessRefreshKind::nothing()
                    .with_memory()
                    .with_disk_usage(),
            );
            if let Some(p) = self.system.process(pid) {
                let disk = p.disk_usage();
                out.push(("system/process_memory_mb".into(), p.memory() as f64 / MB));
                out.push((
                    "system/disk_read_mb".into(),
                    disk.total_read_bytes as f64 / MB,
                ));
                out.push((
                    "system/disk_written_mb".into(),
                    disk.total_written_bytes as f64 / MB,
                ));
            }
        }
        self.networks.refresh(true);
        let (rx, tx) = totals(&self.networks);
        out.push((
            "system/network_received_mb".into(),
            rx.saturating_sub(self.net_start.0) as f64 / MB,
        ));
        out.push((
            "system/network_sent_mb".into(),
            tx.saturating_sub(self.net_start.1) as f64 / MB,
        ));
        if let Some(nvml) = &self.gpus {
            gpu_sample(nvml, &mut out);
        }
        out
    }
}

/// Bytes received and sent over every interface since boot.
fn totals(networks: &Networks) -> (u64, u64) {
    networks.iter().fold((0, 0), |(rx, tx), (_, n)| {
        (rx + n.total_received(), tx + n.total_transmitted())
    })
}

/// Each GPU's utilisation and memory (`system/gpu0/...`); a GPU that fails to answer is
/// skipped for this sample.
fn gpu_sample(nvml: &nvml_wrapper::Nvml, out: &mut Vec<(String, f64)>) {
    let count = nvml.device_count().unwrap_or(0);
    for i in 0..count {
        let Ok(device) = nvml.device_by_index(i) else {
            continue;
        };
        if let Ok(u) = device.utilization_rates() {
            out.push((
                format!("system/gpu{i}/utilization_percent"),
                f64::from(u.gpu),
            ));
        }
        if let Ok(m) = device.memory_info() {
            out.push((format!("system/gpu{i}/memory_used_mb"), m.used as f64 / MB));
            if m.total > 0 {
                out.push((
                    format!("system/gpu{i}/memory_percent"),
                    m.used as f64 * 100.0 / m.total as f64,
                ));
            }
        }
    }
}
