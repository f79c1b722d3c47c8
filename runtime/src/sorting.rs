//! One stable sort for the whole of tracerun.
//!
//! Every `sort_by`/`sort_by_key` on a distinct element type or with a distinct closure is
//! a separate copy of the standard library's driftsort (3-5 KB of the static binary
//! apiece). [`sort_by`] instead sorts a permutation of indices with the comparator behind
//! `dyn`, so the sort itself exists once, and then moves the elements into place with
//! swaps (a few dozen bytes per element type). The order is the standard stable sort's.

use std::cmp::Ordering;

/// The single sort instance: a stable sort of `0..n` by `cmp` on indices.
fn sorted_indices(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| cmp(a, b));
    idx
}

/// Stable sort of `v` by `cmp` (the same order as `v.sort_by(cmp)`).
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let mut idx = sorted_indices(v.len(), &mut |a, b| cmp(&v[a], &v[b]));
    // Position `k` must receive the element now at `idx[k]`: follow each cycle of the
    // permutation, marking finished positions by pointing them at themselves.
    for start in 0..v.len() {
        let mut cur = start;
        loop {
            let next = idx[cur];
            idx[cur] = cur;
            if next == start || next == cur {
                break;
            }
            v.swap(cur, next);
            cur = next;
        }
    }
}

/// Stable sort of `v` by the key `key` extracts (as `v.sort_by_key(key)`).
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut key: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)))
}

/// Sort of `v` in its natural order (as `v.sort()`).
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator, so the tests need no dependency.
    fn numbers(seed: u64, n: usize, modulo: u64) -> Vec<u64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 33) % modulo
            })
            .collect()
    }

    #[test]
    fn matches_the_standard_stable_sort() {
        for (seed, n, modulo) in [(1, 0, 5), (2, 1, 5), (3, 2, 2), (4, 17, 4), (5, 300, 7)] {
            // (key, original position): equal keys must keep their order.
            let items: Vec<(u64, usize)> = numbers(seed, n, modulo)
                .into_iter()
                .enumerate()
                .map(|(i, k)| (k, i))
                .collect();
            let mut expected = items.clone();
            expected.sort_by_key(|p| p.0);
            let mut got = items.clone();
            sort_by_key(&mut got, |p| p.0);
            assert_eq!(got, expected, "seed {seed} n {n}");
            let mut desc = items;
            sort_by(&mut desc, |a, b| b.0.cmp(&a.0));
            expected.sort_by_key(|p| std::cmp::Reverse(p.0));
            assert_eq!(desc, expected, "seed {seed} n {n} descending");
        }
    }

    #[test]
    fn sorts_owned_values_in_natural_order() {
        let mut names: Vec<String> = ["b", "a", "c", "a2", ""].map(String::from).to_vec();
        sort(&mut names);
        assert_eq!(names, ["", "a", "a2", "b", "c"]);
        let mut rev: Vec<u32> = (0..50).rev().collect();
        sort(&mut rev);
        assert_eq!(rev, (0..50).collect::<Vec<_>>());
    }
}
