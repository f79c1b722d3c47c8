//! Medians and spreads of repeated measurements, and their formatting.

use std::time::Duration;

/// The median and the range of a set of samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub n: usize,
}

impl Summary {
    /// `None` for no samples. The median of an even count is the mean of the middle two.
    pub fn of(samples: &[f64]) -> Option<Summary> {
        if samples.is_empty() {
            return None;
        }
        let mut v = samples.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Some(Summary {
            median,
            min: v[0],
            max: v[n - 1],
            n,
        })
    }

    /// The spread as a fraction of the median: (max - min) / median.
    pub fn spread(&self) -> f64 {
        if self.median == 0.0 {
            0.0
        } else {
            (self.max - self.min) / self.median
        }
    }
}

/// Run `variants` kinds of measurement `runs` times each, alternating, and rotating
/// which one goes first in each round so that no variant always runs on a cold (or
/// warm) machine. Returns the samples per variant, in run order.
pub fn alternate<T, E>(
    runs: usize,
    variants: usize,
    mut f: impl FnMut(usize) -> Result<T, E>,
) -> Result<Vec<Vec<T>>, E> {
    let mut out: Vec<Vec<T>> = (0..variants).map(|_| Vec::with_capacity(runs)).collect();
    for round in 0..runs {
        for k in 0..variants {
            let v = (round + k) % variants;
            out[v].push(f(v)?);
        }
    }
    Ok(out)
}

/// `12.3 ms` style, from seconds.
pub fn secs(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

pub fn dur(d: Duration) -> String {
    secs(d.as_secs_f64())
}

/// `12.3 MiB` style, from KiB.
pub fn kib(k: f64) -> String {
    if k >= 1024.0 {
        format!("{:.1} MiB", k / 1024.0)
    } else {
        format!("{k:.0} KiB")
    }
}

/// A summary of seconds: `12.3 ms (11.9–13.0, n=7)`.
pub fn secs_summary(s: &Summary) -> String {
    format!(
        "{} ({}–{}, n={})",
        secs(s.median),
        secs(s.min),
        secs(s.max),
        s.n
    )
}

/// `a / b` as `0.05x`, or `-` when undefined.
pub fn ratio(a: f64, b: f64) -> String {
    if b == 0.0 || !a.is_finite() || !b.is_finite() {
        "-".into()
    } else {
        format!("{:.2}x", a / b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_counts() {
        let s = Summary::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!((s.median, s.min, s.max, s.n), (3.0, 1.0, 5.0, 3));
        assert_eq!(Summary::of(&[4.0, 1.0, 2.0, 3.0]).unwrap().median, 2.5);
        assert!(Summary::of(&[]).is_none());
        assert_eq!(Summary::of(&[1.0, 3.0]).unwrap().spread(), 1.0);
    }

    #[test]
    fn alternation_rotates_the_first_variant() {
        let mut order = Vec::new();
        let got = alternate::<_, ()>(3, 2, |v| {
            order.push(v);
            Ok(v * 10)
        })
        .unwrap();
        assert_eq!(order, vec![0, 1, 1, 0, 0, 1]);
        assert_eq!(got, vec![vec![0, 0, 0], vec![10, 10, 10]]);
    }

    #[test]
    fn formats() {
        assert_eq!(secs(0.0123), "12.3 ms");
        assert_eq!(secs(2.0), "2.00 s");
        assert_eq!(secs(0.000_05), "50 µs");
        assert_eq!(kib(2048.0), "2.0 MiB");
        assert_eq!(kib(100.0), "100 KiB");
        assert_eq!(ratio(1.0, 4.0), "0.25x");
        assert_eq!(ratio(1.0, 0.0), "-");
    }
}
