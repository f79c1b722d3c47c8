//! Histograms: bucket counts of `hist` and `lhist` maps turned into labelled buckets,
//! as bpftrace builds them (`build_histogram`, `build_linear_histogram`).
//!
//! A histogram keeps only the buckets from the first to the last non-empty one. Bucket
//! `i` covers `[labels[i-1], labels[i])`; the first bucket starts at `lower_bound`
//! (none: it holds everything below `labels[0]`), and a bucket without a label of its
//! own is open above (`[10, ...)`).

/// A bucket boundary: a plain number, or a number with a suffix (`1K`, `16M`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Label {
    Int(i64),
    /// Printed as `text`; `value` is the number (JSON prints numbers).
    Sym {
        text: String,
        value: i64,
    },
}

impl Label {
    pub fn value(&self) -> i64 {
        match self {
            Label::Int(v) => *v,
            Label::Sym { value, .. } => *value,
        }
    }
    pub fn text(&self) -> String {
        match self {
            Label::Int(v) => v.to_string(),
            Label::Sym { text, .. } => text.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Histogram {
    pub lower_bound: Option<Label>,
    pub labels: Vec<Label>,
    pub counts: Vec<u64>,
}

/// First and last non-empty bucket.
fn used_range(values: &[u64]) -> Option<(usize, usize)> {
    let first = values.iter().position(|&v| v > 0)?;
    let last = values.iter().rposition(|&v| v > 0)?;
    Some((first, last))
}

/// The lower end of `hist` bucket `index + 1` (for `index >= 2^k`): each power of two
/// is split into `2^k` buckets; labels use K, M, G... for powers of 1024.
fn log2_label(index: usize, k: u32) -> Label {
    let n = 1u64 << k;
    let interval = index as u64 & (n - 1);
    let power = ((index as u64) >> k).saturating_sub(1) as u32;
    let value = 1u64
        .checked_shl(power)
        .unwrap_or(0)
        .wrapping_mul(n + interval);
    let decade = power / 10;
    let suffix = ["", "K", "M", "G", "T", "P", "E"]
        .get(decade as usize)
        .copied()
        .unwrap_or("");
    let mantissa = (1u64 << (power - 10 * decade)) * (n + interval);
    Label::Sym {
        text: format!("{mantissa}{suffix}"),
        value: value as i64,
    }
}

/// `hist(x, k)` buckets (index as in `tracec_meta::AggKind::Hist`) to a histogram;
/// counts are divided by `div`.
pub fn log2(values: &[u64], div: u64, k: u32) -> Histogram {
    let mut h = Histogram::default();
    let Some((first, last)) = used_range(values) else {
        return h;
    };
    let linear_end = 2usize << k;
    if first != 0 {
        h.lower_bound = Some(if first - 1 <= linear_end {
            Label::Int(first as i64 - 1)
        } else {
            log2_label(first - 1, k)
        });
    }
    for (i, &count) in values.iter().enumerate().take(last + 1).skip(first) {
        h.labels.push(if i <= linear_end {
            Label::Int(i as i64)
        } else {
            log2_label(i, k)
        });
        h.counts.push(count / div.max(1));
    }
    h
}

fn linear_label(number: i64, step: i64) -> Label {
    const KILO: i64 = 1024;
    const MEGA: i64 = 1024 * 1024;
    if step % KILO != 0 {
        return Label::Int(number);
    }
    let text = if number == 0 {
        "0".to_string()
    } else if number % MEGA == 0 {
        format!("{}M", number / MEGA)
    } else if number % KILO == 0 {
        format!("{}K", number / KILO)
    } else {
        number.to_string()
    };
    Label::Sym {
        text,
        value: number,
    }
}

/// `lhist(x, min, max, step)` buckets to a histogram (bpftrace does not divide them).
pub fn linear(values: &[u64], min: i64, max: i64, step: i64) -> Histogram {
    let mut h = Histogram::default();
    let Some((first, last)) = used_range(values) else {
        return h;
    };
    if first != 0 {
        h.lower_bound = Some(linear_label(min + (first as i64 - 1) * step, step));
    }
    for (i, &count) in values.iter().enumerate().take(last + 1).skip(first) {
        let bound = min + i as i64 * step;
        if bound <= max {
            h.labels.push(linear_label(bound, step));
        }
        h.counts.push(count);
    }
    h
}

/// Whether two labels are consecutive integers (the bucket holds one value: `[1]`).
fn single_value(a: &Label, b: &Label) -> bool {
    matches!((a, b), (Label::Int(x), Label::Int(y)) if x.checked_add(1) == Some(*y))
}

/// The `[lo, hi)` text of bucket `i`.
pub fn bucket_header(h: &Histogram, i: usize) -> String {
    if i == 0 {
        return match (&h.lower_bound, h.labels.first()) {
            (None, Some(l)) => format!("(..., {})", l.text()),
            (None, None) => "(..., ...)".to_string(),
            (Some(lb), None) => format!("[{}, ...)", lb.text()),
            (Some(lb), Some(l)) if single_value(lb, l) => format!("[{}]", lb.text()),
            (Some(lb), Some(l)) => format!("[{}, {})", lb.text(), l.text()),
        };
    }
    let prev = &h.labels[(i - 1).min(h.labels.len().saturating_sub(1))];
    match h.labels.get(i) {
        None => format!("[{}, ...)", prev.text()),
        Some(l) if single_value(prev, l) => format!("[{}]", prev.text()),
        Some(l) => format!("[{}, {})", prev.text(), l.text()),
    }
}

/// The ASCII rendering: one line per bucket, `header count |@@@@   |`.
pub fn text(h: &Histogram, out: &mut Vec<u8>) {
    const WIDTH: usize = 52;
    let max = h.counts.iter().copied().max().unwrap_or(0);
    for (i, &count) in h.counts.iter().enumerate() {
        let bar = ((count as f32 / max as f32) * WIDTH as f32) as usize;
        let line = format!(
            "{:<16}{:>8} |{:<WIDTH$}|\n",
            bucket_header(h, i),
            count,
            "@".repeat(bar.min(WIDTH))
        );
        out.extend_from_slice(line.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn buckets(pairs: &[(usize, u64)]) -> Vec<u64> {
        let n = pairs.iter().map(|p| p.0).max().unwrap_or(0) + 1;
        let mut v = vec![0; n];
        for &(i, c) in pairs {
            v[i] = c;
        }
        v
    }

    fn render(h: &Histogram) -> String {
        let mut out = Vec::new();
        text(h, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn log2_labels_match_bpftrace() {
        // hist(-1), hist(2), hist(3), hist(7), hist(20): buckets 0, 3, 3, 4, 6.
        let h = log2(&buckets(&[(0, 1), (3, 2), (4, 1), (6, 1)]), 1, 0);
        let headers: Vec<String> = (0..h.counts.len()).map(|i| bucket_header(&h, i)).collect();
        assert_eq!(
            headers,
            ["(..., 0)", "[0]", "[1]", "[2, 4)", "[4, 8)", "[8, 16)", "[16, 32)"]
        );
        let text = render(&h);
        assert!(text.starts_with(
            "(..., 0)               1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n"
        ));
        assert!(text.contains(
            "[2, 4)                 2 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|\n"
        ));
    }

    #[test]
    fn log2_large_values_use_suffixes() {
        // 10G = 10 * 2^30 is in [8G, 16G): bucket floor(log2) + 2 = 35.
        let h = log2(&buckets(&[(35, 1)]), 1, 0);
        assert_eq!(bucket_header(&h, 0), "[8G, 16G)");
        assert_eq!(h.lower_bound.as_ref().map(Label::value), Some(8 << 30));
        // 1024 is in [1K, 2K).
        let h = log2(&buckets(&[(12, 1)]), 1, 0);
        assert_eq!(bucket_header(&h, 0), "[1K, 2K)");
    }

    #[test]
    fn log2_with_bits_splits_powers() {
        // k = 1: buckets 1, 2 hold 0 and 1; bucket 5 holds 4..5, bucket 6 holds 6..7.
        let h = log2(&buckets(&[(2, 1), (5, 1), (6, 1)]), 1, 1);
        let headers: Vec<String> = (0..h.counts.len()).map(|i| bucket_header(&h, i)).collect();
        assert_eq!(headers, ["[1]", "[2]", "[3]", "[4, 6)", "[6, 8)"]);
    }

    #[test]
    fn linear_has_open_ends() {
        // lhist(x, 0, 10, 2) of -1, 2, 3, 7, 11.
        let h = linear(&buckets(&[(0, 1), (2, 2), (4, 1), (6, 1)]), 0, 10, 2);
        let headers: Vec<String> = (0..h.counts.len()).map(|i| bucket_header(&h, i)).collect();
        assert_eq!(
            headers,
            [
                "(..., 0)",
                "[0, 2)",
                "[2, 4)",
                "[4, 6)",
                "[6, 8)",
                "[8, 10)",
                "[10, ...)"
            ]
        );
    }

    #[test]
    fn empty_histograms_have_no_buckets() {
        assert_eq!(log2(&[0, 0, 0], 1, 0), Histogram::default());
        assert_eq!(linear(&[], 0, 10, 1), Histogram::default());
        assert_eq!(render(&Histogram::default()), "");
    }

    #[test]
    fn counts_are_divided() {
        let h = log2(&buckets(&[(3, 25)]), 10, 0);
        assert_eq!(h.counts, [2]);
    }
}
