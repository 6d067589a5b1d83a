//! What `cargo xtask` and its `bundle` step share: how a step says what it does and how
//! long it took.

use std::time::{Duration, Instant};

/// A step header, bold like the scripts' own.
pub fn announce(what: &str) {
    println!("\x1b[1m==> {what}\x1b[0m");
}

/// Runs one step and says how long it took.
pub fn timed<T>(what: &str, step: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    let started = Instant::now();
    let value = step()?;
    println!("    {what}: {}", elapsed(started.elapsed()));
    Ok(value)
}

pub fn elapsed(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        format!(
            "{}m{:02}s",
            duration.as_secs() / 60,
            duration.as_secs() % 60
        )
    }
}

#[cfg(test)]
mod tests {
    use super::elapsed;
    use std::time::Duration;

    #[test]
    fn durations_read_as_seconds_then_minutes() {
        assert_eq!(elapsed(Duration::from_millis(11_640)), "11.6s");
        assert_eq!(elapsed(Duration::from_secs(393)), "6m33s");
    }
}
