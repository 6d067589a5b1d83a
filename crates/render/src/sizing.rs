//! Resource sizing: each framework has a base request (see
//! [`crate::stack::framework`]); an environment scales it by its factor.
//!
//! - requests = base × factor, CPU rounded up to 10m (min 50m), memory
//!   rounded up to 16Mi (min 64Mi);
//! - CPU limit = 2 × CPU request: bursts (start-up, GC) are allowed without
//!   letting one pod starve a node;
//! - memory limit = memory request: memory cannot be reclaimed, so a pod
//!   that outgrows its request is OOM-killed predictably instead of the
//!   node evicting neighbours.

use crate::stack::BaseResources;

/// Requests and limits for one container, in Kubernetes quantities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerResources {
    pub requests_cpu: String,
    pub requests_memory: String,
    pub limits_cpu: String,
    pub limits_memory: String,
}

pub fn size(base: BaseResources, factor: f64) -> ContainerResources {
    let cpu = round_up(base.cpu_millis as f64 * factor, 10).max(50);
    let memory = round_up(base.memory_mib as f64 * factor, 16).max(64);
    ContainerResources {
        requests_cpu: format!("{cpu}m"),
        requests_memory: format!("{memory}Mi"),
        limits_cpu: format!("{}m", cpu * 2),
        limits_memory: format!("{memory}Mi"),
    }
}

fn round_up(value: f64, step: u32) -> u32 {
    let steps = (value / step as f64).ceil().max(1.0);
    // Factors are ≤ 4 and bases are small, so this cannot overflow.
    steps as u32 * step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_requests_and_derives_limits() {
        let base = BaseResources {
            cpu_millis: 250,
            memory_mib: 512,
        };
        let half = size(base, 0.5);
        assert_eq!(half.requests_cpu, "130m");
        assert_eq!(half.requests_memory, "256Mi");
        assert_eq!(half.limits_cpu, "260m");
        assert_eq!(half.limits_memory, "256Mi");
        let tiny = size(
            BaseResources {
                cpu_millis: 100,
                memory_mib: 128,
            },
            0.1,
        );
        assert_eq!(
            (tiny.requests_cpu.as_str(), tiny.requests_memory.as_str()),
            ("50m", "64Mi")
        );
    }
}
