//! The programs under test and the scratch directory.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Paths of the four programs compared.
#[derive(Debug, Clone)]
pub struct Tools {
    pub tracec: PathBuf,
    pub tracerun: PathBuf,
    pub bpftrace: PathBuf,
    pub aotrt: PathBuf,
    /// Scratch directory for objects and generated scripts.
    pub work: PathBuf,
}

impl Tools {
    /// `tracec SCRIPT -o OUT`.
    pub fn tracec(&self, script: &Path, out: &Path) -> Command {
        let mut c = Command::new(&self.tracec);
        c.arg(script).arg("-o").arg(out);
        c
    }

    /// `bpftrace --emit-elf OUT SCRIPT` (a dry run: nothing is loaded).
    pub fn bpftrace_elf(&self, script: &Path, out: &Path) -> Command {
        let mut c = Command::new(&self.bpftrace);
        c.arg("--emit-elf").arg(out).arg(script);
        c
    }

    /// `bpftrace --aot OUT SCRIPT`: the input of `bpftrace-aotrt`.
    pub fn bpftrace_aot(&self, script: &Path, out: &Path) -> Command {
        let mut c = Command::new(&self.bpftrace);
        c.arg("--aot").arg(out).arg(script);
        c
    }

    /// `tracerun OBJECT [-- ARGS]`.
    pub fn tracerun(&self, object: &Path, args: &[String]) -> Command {
        let mut c = Command::new(&self.tracerun);
        c.arg(object);
        if !args.is_empty() {
            c.arg("--").args(args);
        }
        c
    }

    /// `bpftrace SCRIPT [ARGS]`.
    pub fn bpftrace(&self, script: &Path, args: &[String]) -> Command {
        let mut c = Command::new(&self.bpftrace);
        c.arg(script).args(args);
        c
    }

    /// `bpftrace-aotrt AOT` (it takes no positional parameters).
    pub fn aotrt(&self, aot: &Path) -> Command {
        let mut c = Command::new(&self.aotrt);
        c.arg(aot);
        c
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.work.join(name)
    }

    /// Write `source` to the scratch directory as `name`.
    pub fn script(&self, name: &str, source: &str) -> std::io::Result<PathBuf> {
        let p = self.path(name);
        std::fs::write(&p, source)?;
        Ok(p)
    }
}

/// The first line of `text` that looks like an error, for "not supported" notes
/// (bpftrace's harmless `RLIMIT_MEMLOCK` complaint is skipped).
pub fn first_error(text: &str) -> String {
    let useful = |l: &&str| !l.trim().is_empty() && !l.contains("RLIMIT_MEMLOCK");
    text.lines()
        .filter(useful)
        .find(|l| l.to_lowercase().contains("error"))
        .or_else(|| text.lines().find(useful))
        .unwrap_or("(no message)")
        .trim()
        .chars()
        .take(120)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_error_skips_the_memlock_warning() {
        let text = "ERROR: couldn't set RLIMIT_MEMLOCK\nfoo.bt:3: error: unknown function\n";
        assert_eq!(first_error(text), "foo.bt:3: error: unknown function");
        assert_eq!(first_error("\n"), "(no message)");
    }
}
