//! `tracec-bench`: tracec and tracerun measured against bpftrace 0.17 on the same
//! machine in the same run (issue #5). `scripts/bench` builds and runs it.

pub mod compile;
pub mod elfcount;
pub mod events;
pub mod gen;
pub mod proc;
pub mod report;
pub mod runtime;
pub mod scaling;
pub mod stats;
pub mod tools;
