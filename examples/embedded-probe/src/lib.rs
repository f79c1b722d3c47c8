//! An example of compiling bpftrace scripts at build time: `build.rs` runs the
//! `tracec` library on the scripts, and the BPF objects are part of this crate's
//! code. A program can then load them with aya or run them with
//! `tracerun::run_bytes`, with no script, compiler or object file on the host.
//!
//! ```no_run
//! let opts = tracerun::Options {
//!     object: "oncpu-comm.o".into(), // only names the object in messages
//!     ..Default::default()
//! };
//! tracerun::run_bytes(embedded_probe::ONCPU_COMM, &opts).unwrap();
//! ```

/// `std-probes/oncpu-comm.bt`: on-CPU samples by command (`profile:hz:99`).
pub static ONCPU_COMM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/oncpu-comm.o"));

/// `probes/hello.bt`: prints a line in BEGIN and exits.
pub static HELLO: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/hello.o"));

/// `std-probes/procs-new.bt`: new processes with their arguments. `None` when the
/// crate was built without a readable tracefs (see `build.rs`).
#[cfg(has_procs_new)]
pub static PROCS_NEW: Option<&[u8]> =
    Some(include_bytes!(concat!(env!("OUT_DIR"), "/procs-new.o")));
/// `std-probes/procs-new.bt`: new processes with their arguments. `None` when the
/// crate was built without a readable tracefs (see `build.rs`).
#[cfg(not(has_procs_new))]
pub static PROCS_NEW: Option<&[u8]> = None;

/// Every embedded object with its name.
pub fn all() -> Vec<(&'static str, &'static [u8])> {
    let mut v = vec![("oncpu-comm", ONCPU_COMM), ("hello", HELLO)];
    if let Some(p) = PROCS_NEW {
        v.push(("procs-new", p));
    }
    v
}
