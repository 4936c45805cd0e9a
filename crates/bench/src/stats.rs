//! Latency bookkeeping and small report helpers.

use serde_json::{json, Value};
use std::time::Duration;

/// Latencies in microseconds. Kept raw (a few hundred thousand u32 at most) and sorted once.
#[derive(Debug, Default, Clone)]
pub struct Latencies {
    micros: Vec<u32>,
}

impl Latencies {
    pub fn push(&mut self, d: Duration) {
        self.micros
            .push(u32::try_from(d.as_micros()).unwrap_or(u32::MAX));
    }

    pub fn extend(&mut self, other: Latencies) {
        self.micros.extend(other.micros);
    }

    pub fn len(&self) -> usize {
        self.micros.len()
    }

    pub fn summary(&self) -> Summary {
        let mut v = self.micros.clone();
        v.sort_unstable();
        let pct = |p: f64| -> f64 {
            if v.is_empty() {
                return 0.0;
            }
            // nearest-rank percentile
            let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
            let idx = rank.clamp(1, v.len()) - 1;
            f64::from(v[idx]) / 1000.0
        };
        Summary {
            count: v.len(),
            p50_ms: pct(50.0),
            p99_ms: pct(99.0),
            max_ms: v.last().map(|m| f64::from(*m) / 1000.0).unwrap_or(0.0),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl Summary {
    pub fn to_json(self) -> Value {
        json!({
            "count": self.count,
            "p50_ms": round3(self.p50_ms),
            "p99_ms": round3(self.p99_ms),
            "max_ms": round3(self.max_ms),
        })
    }

    pub fn line(self) -> String {
        format!(
            "n={:<7} p50={:>8.2} ms  p99={:>8.2} ms  max={:>8.2} ms",
            self.count, self.p50_ms, self.p99_ms, self.max_ms
        )
    }
}

pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub fn per_sec(n: usize, d: Duration) -> f64 {
    let s = d.as_secs_f64();
    if s <= 0.0 {
        0.0
    } else {
        n as f64 / s
    }
}

/// Memory of a process from /proc/PID/status, in KiB: (VmHWM, VmRSS).
pub fn proc_memory_kib(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        status
            .lines()
            .find(|l| l.starts_with(name))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// Milliseconds of CPU per item (booking) of a sale; 0 for none.
pub fn ms_per_item(ms: u64, items: usize) -> f64 {
    if items == 0 {
        0.0
    } else {
        ms as f64 / items as f64
    }
}

/// CPU time a process has used (user + system), in milliseconds, from /proc/PID/stat
/// (`utime` and `stime` in clock ticks; Linux's USER_HZ is 100 on every platform it runs on).
pub fn proc_cpu_ms(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // the command name (field 2) is in parentheses and may hold spaces: count after the last ')'
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // after the name: state is field 3, so utime (14) and stime (15) are at 11 and 12
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_nearest_rank() {
        let mut l = Latencies::default();
        for ms in 1..=100u64 {
            l.push(Duration::from_millis(ms));
        }
        let s = l.summary();
        assert_eq!(s.count, 100);
        assert!((s.p50_ms - 50.0).abs() < 1e-9);
        assert!((s.p99_ms - 99.0).abs() < 1e-9);
        assert!((s.max_ms - 100.0).abs() < 1e-9);
    }

    #[test]
    fn empty_summary_is_zero() {
        let s = Latencies::default().summary();
        assert_eq!(s.count, 0);
        assert_eq!(s.p99_ms, 0.0);
    }

    #[test]
    fn own_cpu_time_is_readable_and_grows() {
        let before = proc_cpu_ms(std::process::id()).expect("linux /proc");
        let mut x = 0u64;
        let until = std::time::Instant::now() + Duration::from_millis(60);
        while std::time::Instant::now() < until {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        std::hint::black_box(x);
        assert!(proc_cpu_ms(std::process::id()).expect("linux /proc") >= before);
    }

    #[test]
    fn own_memory_is_readable() {
        let (hwm, rss) = proc_memory_kib(std::process::id()).expect("linux /proc");
        assert!(hwm >= rss / 2 && rss > 0);
    }

    #[test]
    fn rate() {
        assert_eq!(per_sec(10, Duration::from_secs(2)), 5.0);
        assert_eq!(per_sec(10, Duration::ZERO), 0.0);
    }
}
