//! Records that use the same test program run one after the other. Uprobes and USDT
//! probes without `-p` fire in every process that runs the binary, as in bpftrace, so
//! two records tracing `./testprogs/struct_array` at once would each see the other's
//! runs (bpftrace's own runner runs records one at a time).

use super::parse::Record;
use std::collections::BTreeSet;
use std::sync::{Condvar, Mutex};

/// The test programs and libraries a record names (`testprogs/NAME`, `testlibs/NAME`).
pub fn programs_of(r: &Record) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let texts = [&r.run, &r.prog, &r.after, &r.setup, &r.cleanup];
    for text in texts.into_iter().chain(&r.befores) {
        for dir in ["testprogs/", "testlibs/"] {
            let mut rest = text.as_str();
            while let Some(at) = rest.find(dir) {
                rest = &rest[at + dir.len()..];
                let len = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "_.-".contains(c)))
                    .unwrap_or(rest.len());
                if len > 0 {
                    names.insert(format!("{dir}{}", &rest[..len]));
                }
            }
        }
    }
    names
}

/// The programs records being run now use.
#[derive(Default)]
pub struct Busy {
    names: Mutex<BTreeSet<String>>,
    freed: Condvar,
}

/// Held while a record runs; frees its programs when dropped.
pub struct Claim<'a> {
    busy: &'a Busy,
    names: BTreeSet<String>,
}

impl Busy {
    /// Wait until none of `names` is in use, then take them all.
    pub fn claim(&self, names: BTreeSet<String>) -> Claim<'_> {
        let mut held = self.names.lock().unwrap_or_else(|e| e.into_inner());
        while names.iter().any(|n| held.contains(n)) {
            held = self.freed.wait(held).unwrap_or_else(|e| e.into_inner());
        }
        held.extend(names.iter().cloned());
        Claim { busy: self, names }
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        let mut held = self.busy.names.lock().unwrap_or_else(|e| e.into_inner());
        for n in &self.names {
            held.remove(n);
        }
        self.busy.freed.notify_all();
    }
}
