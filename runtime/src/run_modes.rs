//! `tracerun --bench` and `--test`: the `bench:` and `test:` probes run one by one
//! after BEGIN, nothing attached.

use super::{record_kind, Session};
use crate::print::Format;
use crate::{load, sys, Error};
use tracec_meta::{Attach, EventKind};

impl Session<'_> {
    /// Bench mode: run every `bench:` probe in metadata order, handling its events
    /// after it (an `exit()` skips the remaining ones), then print the results.
    pub(super) fn run_benches(&mut self) -> Result<(), Error> {
        let stats = crate::bench::Stats::enable();
        let mut results = Vec::new();
        for probe in &self.meta.probes {
            let Attach::Bench { name } = &probe.attach else {
                continue;
            };
            results.push(crate::bench::run_one(&self.ebpf, probe, name, &stats)?);
            let records = self.drain();
            if self.handle(&records) {
                break;
            }
        }
        let text = match self.format {
            Format::Text => crate::bench::text(&results),
            Format::Json => crate::bench::json(&results),
        };
        self.emit(text.as_bytes());
        Ok(())
    }

    /// Test mode: run every `test:` probe once, in metadata order, with its output
    /// captured; report each (bpftrace's format) and exit 1 if any failed.
    pub(super) fn run_tests(&mut self) -> Result<(), Error> {
        use crate::selftest::{self, TestResult};
        let tests: Vec<(tracec_meta::ProbeSpec, String)> = self
            .meta
            .probes
            .iter()
            .filter_map(|p| match &p.attach {
                Attach::Test { name } => Some((p.clone(), name.clone())),
                _ => None,
            })
            .collect();
        let mut results: Vec<TestResult> = Vec::new();
        for (probe, name) in &tests {
            let fd = load::program_fd(&self.ebpf, probe)?;
            let start = std::time::Instant::now();
            let retval = sys::prog_test_run(fd).map_err(|e| {
                Error::new(format!(
                    "cannot run {} (BPF_PROG_TEST_RUN): {e}",
                    probe.name
                ))
            })?;
            let duration_ns = start.elapsed().as_nanos() as u64;
            let records = self.drain();
            let errors = records
                .iter()
                .filter(|r| record_kind(r) == Some(EventKind::Error))
                .count();
            let status = std::mem::take(&mut self.exit_status);
            self.capture = Some(Vec::new());
            // exit() ends this test only; the others still run.
            self.handle(&records);
            let output = self.capture.take().unwrap_or_default();
            let passed = retval == 0 && self.exit_status == 0 && errors == 0;
            self.exit_status = status;
            results.push(TestResult {
                name: name.clone(),
                passed,
                duration_ns,
                output: String::from_utf8_lossy(&output).into_owned(),
            });
            let report = match self.format {
                Format::Text => selftest::text(&results, tests.len()),
                Format::Json => selftest::json_line(results.last().expect("one result")),
            };
            self.emit(report.as_bytes());
        }
        if results.iter().any(|r| !r.passed) && self.exit_status == 0 {
            self.exit_status = 1;
        }
        Ok(())
    }
}
