//! Shell-style wildcards (`*`, `?`) and "did you mean" suggestions.

/// Whether `s` contains a wildcard character.
pub fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

pub use tracec_meta::glob::matches;

/// Levenshtein distance between two strings (by characters).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let subst = prev[j] + usize::from(ca != cb);
            cur[j + 1] = subst.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The candidate closest to `word`, if it is close enough to be a plausible typo.
pub fn closest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let len = word.chars().count();
    let limit = (len / 3).max(2);
    candidates
        .into_iter()
        // The distance is at least the difference in length: skip the quadratic
        // computation for candidates that cannot be close enough.
        .filter(|c| c.chars().count().abs_diff(len) <= limit)
        .map(|c| (edit_distance(word, c), c))
        .filter(|&(d, _)| d <= limit)
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(matches("sys_enter_*", "sys_enter_openat"));
        assert!(matches("*openat*", "sys_exit_openat2"));
        assert!(matches("sys_*_nanosleep", "sys_enter_nanosleep"));
        assert!(matches("sys_enter_open?t", "sys_enter_openat"));
        assert!(!matches("sys_enter_open?t", "sys_enter_opent"));
        assert!(matches("*", ""));
        assert!(matches("a*b*c", "aXbYbZc"));
        assert!(!matches("a*b*c", "aXbYbZ"));
        assert!(!matches("sched", "sched_switch"));
        assert!(matches("sched", "sched"));
        assert!(!matches("", "x"));
        assert!(has_wildcard("a?") && has_wildcard("*") && !has_wildcard("abc"));
    }

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        let names = ["sys_enter_openat", "sys_enter_open", "sys_exit_openat"];
        assert_eq!(
            closest("sys_enter_opnat", names.iter().copied()),
            Some("sys_enter_openat")
        );
        assert_eq!(closest("completely_else", names.iter().copied()), None);
    }

    #[test]
    fn suggestions_for_long_words_are_quick() {
        // Fuzzing found 300-character names taking seconds against every kernel
        // function; candidates too short or too long are not compared at all.
        let names: Vec<String> = (0..100_000).map(|i| format!("vfs_fn_{i}")).collect();
        let word = format!("vfs_{}read", "Q".repeat(100_000));
        let start = std::time::Instant::now();
        assert_eq!(closest(&word, names.iter().map(String::as_str)), None);
        assert!(start.elapsed().as_secs() < 5, "{:?}", start.elapsed());
        let long = format!("{}x", "a".repeat(30));
        let near = ["a".repeat(30), "a".repeat(20)];
        assert_eq!(
            closest(&long, near.iter().map(String::as_str)),
            Some(near[0].as_str())
        );
        assert_eq!(
            closest("ünï_cødé", ["ünï_cød"].into_iter()),
            Some("ünï_cød")
        );
    }
}
