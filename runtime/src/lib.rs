//! tracerun: runs BPF objects written by `tracec` and prints what bpftrace would print.
//!
//! Modules, from the outside in:
//! * [`run`]: the session (load, BEGIN, attach, event loop, END, map printing, teardown);
//! * [`object`]: reading and validating the ELF and its metadata section;
//! * [`params`]: the script's arguments (`$1`, `$#`, `getopt`) into `.rodata` values;
//! * [`load`]: aya loading and one attach provider per probe kind;
//! * [`attach`]: attaching every probe in order, under `missing_probes`;
//! * [`events`]: decoding ringbuf records into actions;
//! * [`format`]: C-style `printf`;
//! * [`value`]: decoding typed bytes and printing them the way bpftrace does;
//! * [`maps`]: reading, combining, sorting and printing user maps;
//! * [`relocs`]: naming the kernel field behind a failed CO-RE relocation;
//! * [`signals`]: SIGINT/SIGTERM as a pollable file descriptor;
//! * [`child`]: the command of `-c CMD`, started once the probes are attached;
//! * [`sys`]: raw `bpf(2)` calls and other system facts;
//! * [`verify`]: `--verify`, loading every program without attaching, with rejections
//!   mapped to script lines ([`verifier_log`], [`elfview`], [`btf`]);
//! * [`info`]: `--info`, what an object is and needs, from the ELF alone ([`names`]).

pub mod agg_bounds;
pub mod attach;
pub mod attach_params;
pub mod attach_target;
pub mod bench;
pub mod bound_args;
pub mod btf;
pub mod btf_target;
pub mod calls;
pub mod cfi;
pub mod child;
pub mod cookie;
pub mod debugsyms;
pub mod dwunwind;
pub mod elfview;
pub mod events;
pub mod fmtvals;
pub mod format;
pub mod gfp;
pub mod helper_error;
pub mod hostvals;
pub mod info;
pub mod kfunc_trial;
pub mod ksyms;
pub mod load;
pub mod load_bias;
pub mod load_more;
pub mod maps;
pub mod names;
pub mod object;
pub mod output;
pub mod params;
pub mod pidns;
pub mod print;
pub mod probe_filter;
pub mod regex;
pub mod relocs;
pub mod run;
pub mod selfsig;
pub mod selftest;
pub mod settings;
pub mod signals;
pub mod skb;
pub mod sorting;
pub mod srcline;
pub mod stacks;
pub mod symaddr;
pub mod symbolize;
pub mod sys;
pub mod target_btf;
pub mod uprobe_archive;
pub mod uprobe_bounds;
pub mod uprobe_multi;
pub mod uprobe_zero;
pub mod usdt;
pub mod usym_cache;
pub mod value;
pub mod verbose_load;
pub mod verifier_log;
pub mod verify;
pub mod watchpoint;

pub use run::{run, run_bytes, run_status, Options};

/// An error that ends the run, printed as `tracerun: error: <message>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl Error {
    pub fn new(msg: impl Into<String>) -> Error {
        Error(msg.into())
    }

    /// An error worded as bpftrace words it, printed as `ERROR: <message>` without the
    /// `tracerun: error:` prefix (see [`Error::is_bpftrace`]).
    pub fn bpftrace(msg: impl std::fmt::Display) -> Error {
        Error(format!("ERROR: {msg}"))
    }

    /// Whether the message is already in bpftrace's form (`ERROR: ...` or `HINT: ...`,
    /// or located `stdin:1:1-8: ERROR: ...`, possibly several lines) and is printed as
    /// it is.
    pub fn is_bpftrace(&self) -> bool {
        self.0.starts_with("ERROR: ")
            || self.0.starts_with("HINT: ")
            || self.0 == crate::probe_filter::NO_PROBES
            || self
                .0
                .split_once(": ERROR: ")
                .is_some_and(|(at, _)| is_location(at))
    }
}

/// Whether `text` is a script location as bpftrace prints it: `NAME:LINE:COL-COL`.
fn is_location(text: &str) -> bool {
    let mut parts = text.rsplitn(3, ':');
    let cols = parts.next().unwrap_or("");
    let line = parts.next().unwrap_or("");
    let name = parts.next().unwrap_or("");
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    !name.is_empty() && !name.contains('\n') && digits(line) && cols.split('-').all(digits)
}
