//! One run of an object, in bpftrace's order:
//!
//! 1. validate the object, check privileges, BPF and tracefs;
//! 2. load everything (setting `tracec_start_ns` and the script's parameters);
//! 3. run the BEGIN programs in order with `BPF_PROG_TEST_RUN`;
//! 4. unless BEGIN called `exit()` (or a signal came), attach the other probes;
//! 5. print `Attached N probes` to stderr (N counts every probe, BEGIN and END
//!    included, as bpftrace does), then BEGIN's output;
//! 6. print events until `exit()`, SIGINT or SIGTERM; records after an `exit()` are
//!    dropped, as bpftrace drops them;
//! 7. run the END programs, print their output, then two newlines and every non-empty
//!    user map; drop all programs, links and maps.

#[path = "run_lost.rs"]
mod lost;
#[path = "run_modes.rs"]
mod modes;
#[path = "run_preconditions.rs"]
mod preconditions;

use crate::attach;
use crate::calls;
use crate::events::{self, Action};
use crate::load;
use crate::maps::UserMap;
use crate::object::{self, Object};
use crate::output::Output;
use crate::params;
use crate::print::{self, Format};
use crate::signals::{self, Signals};
use crate::sys;
use crate::Error;
use aya::maps::{MapData, RingBuf};
use aya::Ebpf;
use lost::LostCounter;
pub use preconditions::preconditions;
use std::os::fd::{AsRawFd, RawFd};
use std::path::PathBuf;
use tracec_meta::{Attach, EventKind, MapRole, Metadata};

/// Command-line options.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    pub object: PathBuf,
    /// `-o FILE`: program output goes there instead of stdout.
    pub output: Option<PathBuf>,
    /// `-q`: no `Attached N probes`.
    pub quiet: bool,
    /// Arguments after `--`: the script's parameters (`$1`..., `--name=value`).
    pub args: Vec<String>,
    /// `--trust KEY.pub`: run the object only if one of these keys signed it.
    pub trust: Vec<PathBuf>,
    /// `-f json`: bpftrace's JSON output instead of text.
    pub format: Format,
    /// `--unsafe`: allow objects that use functions like `system()`.
    pub allow_unsafe: bool,
    /// `-c CMD`: run CMD once the probes are attached (its pid is `cpid`); the session
    /// ends when it exits.
    pub command: Option<String>,
    /// `--no-warnings`: do not print the script's `warnf` messages.
    pub no_warnings: bool,
    /// `--probe-filter REGEX`: only the probes whose name matches (and BEGIN/END).
    pub probe_filter: Option<String>,
    /// `--bench`: run the `bench:` probes after BEGIN, print their timings, run END.
    pub bench: bool,
    /// `--test`: run the `test:` probes after BEGIN, report which passed, run END.
    pub test: bool,
    /// `-v`: load programs with a verifier log of `log_size` bytes, as bpftrace's
    /// verbose mode does ([`crate::verbose_load`]).
    pub verbose: bool,
}

/// Records handled between two looks for SIGINT/SIGTERM while events keep coming.
const SIGNAL_CHECK_BATCH: usize = 64;

/// Records the event loop takes from the ringbuf at a time: a probe that fires
/// for tracerun's own work (a uprobe on libc's `malloc`) refills the ring as fast
/// as it is read, and SIGINT must still end the session.
const DRAIN_LIMIT: usize = 4096;

/// Run the object until it exits or is interrupted.
pub fn run(opts: &Options) -> Result<(), Error> {
    run_status(opts).map(|_| ())
}

/// [`run`], returning the exit status the script asked for (`exit(code)`; 0 otherwise).
pub fn run_status(opts: &Options) -> Result<i32, Error> {
    let keys = trusted_keys(opts)?;
    let obj = if keys.is_empty() {
        object::read(&opts.object)
    } else {
        object::read_trusted(&opts.object, &keys)
    }
    .map_err(|e| Error::new(format!("{}: {e}", opts.object.display())))?;
    run_object(&obj, opts)
}

/// [`run`] for an object in memory (e.g. embedded in a program with
/// `include_bytes!`); `opts.object` only names it in messages.
pub fn run_bytes(bytes: &[u8], opts: &Options) -> Result<(), Error> {
    run_bytes_status(bytes, opts).map(|_| ())
}

/// [`run_bytes`], returning the script's exit status like [`run_status`].
pub fn run_bytes_status(bytes: &[u8], opts: &Options) -> Result<i32, Error> {
    let keys = trusted_keys(opts)?;
    let named = |e: object::ObjectError| Error::new(format!("{}: {e}", opts.object.display()));
    if !keys.is_empty() {
        object::verify_signature(bytes, &keys).map_err(named)?;
    }
    let obj = object::from_bytes(&opts.object, bytes.to_vec()).map_err(named)?;
    run_object(&obj, opts)
}

/// The public keys given with `--trust`.
fn trusted_keys(opts: &Options) -> Result<Vec<tracec_meta::sign::PublicKey>, Error> {
    opts.trust
        .iter()
        .map(|p| object::read_public_key(p))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::new)
}

fn run_object(obj: &Object, opts: &Options) -> Result<i32, Error> {
    let completed = crate::attach_params::with_args(obj, &opts.args)?;
    let obj: &Object = &completed;
    let filtered;
    let obj = match crate::uprobe_zero::adjusted(&obj.meta, opts)? {
        Some(meta) => {
            filtered = Object {
                path: obj.path.clone(),
                bytes: obj.bytes.clone(),
                meta,
            };
            &filtered
        }
        None => obj,
    };
    crate::probe_filter::require_probes(&obj.meta)?;
    if obj.meta.unsafe_builtins && !opts.allow_unsafe {
        return Err(Error::new(format!(
            "{} uses functions that can change the system (like system()); run it with --unsafe to allow them",
            opts.object.display()
        )));
    }
    let params = params::resolve(&obj.meta.params, &opts.args)?;
    let settings = crate::settings::Settings::from_env(&obj.meta)?;
    if opts.verbose {
        crate::verbose_load::enable(settings.log_size);
    }
    let usym_cache = crate::usym_cache::resolve(
        &obj.meta,
        |k| std::env::var(k).ok(),
        opts.command.is_some(),
        crate::usym_cache::aslr_enabled(),
    )?;
    crate::value::set_truncation(crate::value::Truncation {
        trailer: crate::settings::trunc_trailer(&obj.meta, |k| std::env::var(k).ok()),
        max_strlen: crate::settings::max_strlen(&obj.meta),
    });
    crate::agg_bounds::install(&obj.meta, &params)?;
    preconditions(&obj.meta)?;
    if crate::dwunwind::uses_dw_ustack(&obj.meta)
        && opts.command.is_none()
        && !crate::dwunwind::has_dwarf_pids()
    {
        return Err(Error::bpftrace(
            "dw_ustack requires a target process (-p PID, -c CMD or --dwarf-pid PID)",
        ));
    }
    let out = match &opts.output {
        Some(p) => Output::file(p)
            .map_err(|e| Error::new(format!("{}: cannot create output file: {e}", p.display())))?,
        None => Output::stdout(),
    };
    let signals =
        Signals::new().map_err(|e| Error::new(format!("cannot set up signal handling: {e}")))?;
    let mut child = match &opts.command {
        Some(cmd) => Some(
            crate::child::Child::spawn_for(cmd, &obj.meta)
                .map_err(|e| Error::new(format!("-c {cmd:?}: {e}")))?,
        ),
        None => None,
    };
    let cpid = child.as_ref().map_or(0, |c| u64::from(c.pid()));
    // As in bpftrace: USDT probes (and watchpoints) attach to the child only.
    if let Some(pid) = std::num::NonZeroU32::new(cpid as u32) {
        crate::load_more::set_child_pid(pid);
        if let Some(c) = &child {
            crate::load_more::set_child_program(c.program().to_path_buf());
        }
        crate::dwunwind::add_dwarf_pid(pid.get());
    }
    let ebpf = load::load(obj, sys::monotonic_ns(), cpid, &params)?;
    let mut session = Session::new(obj, ebpf, out, opts.format)?;
    session.no_warnings = opts.no_warnings;
    crate::usym_cache::install(&obj.meta, usym_cache);
    session.settings = settings;
    session.bench_mode = opts.bench;
    session.test_mode = opts.test;
    let result = session.run(opts.quiet, &signals, child.as_mut());
    let status = session.exit_status;
    // Dropping the session detaches every link and closes every program and map.
    crate::stacks::uninstall();
    drop(session);
    result.map(|()| status)
}

fn record_kind(record: &[u8]) -> Option<EventKind> {
    let word = record.get(..4)?;
    EventKind::from_u32(u32::from_le_bytes([word[0], word[1], word[2], word[3]]))
}

/// Unwind the `dw_ustack` snapshots among `records`, which are otherwise dropped (they
/// came after `exit()`): the samples they belong to may have written map entries, whose
/// keys print as the stacks these unwind to. Their warnings are output after `exit()`,
/// dropped as the rest is.
fn unwind_dropped(records: &[Vec<u8>]) {
    for record in records {
        if record_kind(record) == Some(EventKind::DwStack) {
            let payload = record.get(tracec_meta::EVENT_HEADER_SIZE..).unwrap_or(&[]);
            let _ = crate::dwunwind::on_snapshot(payload);
        }
    }
}

struct Session<'a> {
    meta: &'a Metadata,
    // Field order matters for drop: the ringbuf, then the Ebpf (links, programs, maps).
    ring: Option<RingBuf<MapData>>,
    /// `skboutput`'s perf buffers and PCAP files.
    skb: Option<crate::skb::SkbOutput>,
    ebpf: Ebpf,
    lost: Option<LostCounter>,
    lost_seen: u64,
    ncpus: usize,
    out: Output,
    /// First output failure (e.g. a closed pipe); ends the run.
    out_error: Option<std::io::Error>,
    format: Format,
    /// From `exit(code)`.
    exit_status: i32,
    /// `--no-warnings`: `warnf` prints nothing.
    no_warnings: bool,
    /// `--bench`: run the benchmarks instead of attaching anything.
    bench_mode: bool,
    /// `--test`: run the tests instead of attaching anything.
    test_mode: bool,
    /// While a test runs: what it prints (see [`crate::selftest`]).
    capture: Option<Vec<u8>>,
    /// Run-time config variables (`max_cat_bytes`).
    settings: crate::settings::Settings,
}

impl<'a> Session<'a> {
    fn new(
        obj: &'a Object,
        mut ebpf: Ebpf,
        out: Output,
        format: Format,
    ) -> Result<Session<'a>, Error> {
        let meta = &obj.meta;
        let ring = match meta.events_map() {
            Some(spec) => {
                let map = ebpf.take_map(&spec.symbol).ok_or_else(|| {
                    Error::new(format!("events map {} was not created", spec.symbol))
                })?;
                Some(RingBuf::try_from(map).map_err(|e| {
                    Error::new(format!("events map {}: {}", spec.symbol, load::chain(&e)))
                })?)
            }
            None => None,
        };
        let lost = LostCounter::find(obj, &ebpf)?;
        let skb = crate::skb::SkbOutput::open(meta, &mut ebpf)?;
        let mut stacks = crate::stacks::Stacks {
            debug_info: crate::settings::show_debug_info(meta, |k| std::env::var(k).ok()),
            ..Default::default()
        };
        for m in &meta.maps {
            if let MapRole::Stack { user, limit } = m.role {
                stacks
                    .maps
                    .push((user, limit, load::map_fd(&ebpf, &m.symbol)?));
            }
            if let MapRole::StackFrames { user, limit } = m.role {
                stacks
                    .frame_maps
                    .push((user, limit, load::map_fd(&ebpf, &m.symbol)?));
            }
            if let MapRole::BuildIdStack { limit } = m.role {
                stacks
                    .build_id_maps
                    .push((limit, load::map_fd(&ebpf, &m.symbol)?));
            }
        }
        crate::stacks::install(stacks);
        crate::fmtvals::set_strftime_formats(meta.strftime_formats.clone());
        crate::fmtvals::set_syscall_names(meta.syscall_names.clone());
        let mut names = meta.attach_names.clone();
        names.extend(crate::btf_target::run_time_names());
        crate::fmtvals::set_attach_names(crate::attach_target::with_target(
            names,
            crate::attach_target::watchpoint_target().as_deref(),
        ));
        let ncpus = sys::possible_cpus().map_err(|e| {
            Error::new(format!("cannot read /sys/devices/system/cpu/possible: {e}"))
        })?;
        Ok(Session {
            meta,
            ring,
            skb,
            ebpf,
            lost,
            lost_seen: 0,
            ncpus,
            out,
            out_error: None,
            format,
            exit_status: 0,
            no_warnings: false,
            bench_mode: false,
            test_mode: false,
            capture: None,
            settings: crate::settings::Settings::default(),
        })
    }

    fn run(
        &mut self,
        quiet: bool,
        signals: &Signals,
        mut child: Option<&mut crate::child::Child>,
    ) -> Result<(), Error> {
        self.run_special(Attach::Begin)?;
        let begin_records = self.drain();
        let begin_exited = begin_records
            .iter()
            .any(|r| record_kind(r) == Some(EventKind::Exit));
        let mut stop = begin_exited || signals.take();
        let attached = if !stop && !self.bench_mode && !self.test_mode {
            attach::attach_all(&mut self.ebpf, self.meta, self.no_warnings)?
        } else {
            self.meta.probes.len()
        };
        if !quiet {
            match self.format {
                Format::Text => eprintln!("{}", attach::attached_message(attached)),
                Format::Json => self.emit(&print::json::attached(attached)),
            }
        }
        attach::notify_attached();
        stop |= self.handle(&begin_records);
        // Bench mode: the benchmarks, their table, then END; nothing else runs.
        if self.bench_mode && !stop {
            self.run_benches()?;
            stop = true;
        }
        // Test mode: the tests and their report, then END.
        if self.test_mode && !stop {
            self.run_tests()?;
            stop = true;
        }
        // Nothing but BEGIN/END (and benchmarks): nothing can fire, so the session
        // ends after BEGIN (as bpftrace does since it stopped requiring exit() there).
        stop |= self.meta.probes.iter().all(|p| {
            matches!(
                p.attach,
                Attach::Begin | Attach::End | Attach::Bench { .. } | Attach::Test { .. }
            )
        });
        if !stop {
            if let Some(c) = child.as_deref_mut() {
                c.start();
            }
            stop |= self.run_iters()?;
        }
        self.check_lost();
        let user = self.user_signals()?;
        while !stop && self.out_error.is_none() {
            let mut fds = vec![signals.as_raw_fd()];
            if let Some(u) = &user {
                fds.push(u.as_raw_fd());
            }
            // The child's exit ends the session like exit() (after its last events).
            if let Some(c) = child.as_deref_mut() {
                if c.try_reap() {
                    let records = self.drain_up_to(DRAIN_LIMIT);
                    self.handle(&records);
                    break;
                }
                fds.push(c.exit_fd());
            }
            if let Some(s) = &self.skb {
                fds.extend(s.fds());
            }
            if let Some(r) = &self.ring {
                fds.push(r.as_raw_fd());
            }
            let ready = signals::wait_readable(&fds)
                .map_err(|e| Error::new(format!("poll failed: {e}")))?;
            if let Some(s) = &mut self.skb {
                s.drain();
            }
            if ready[0] && signals.take() {
                break;
            }
            if let Some(u) = user.as_ref().filter(|_| ready[1]) {
                for number in u.take() {
                    self.run_signal(number)?;
                }
            }
            if ready.last() == Some(&true) || user.is_some() {
                let records = self.drain_up_to(DRAIN_LIMIT);
                // A signal is looked for between batches: events such as system() take
                // milliseconds each, and a busy probe can queue thousands of them.
                let mut interrupted = false;
                for batch in records.chunks(SIGNAL_CHECK_BATCH) {
                    stop = self.handle(batch);
                    if stop {
                        break;
                    }
                    if signals.take() {
                        interrupted = true;
                        break;
                    }
                }
                if interrupted {
                    break;
                }
            }
            self.check_lost();
        }
        self.teardown()
    }

    /// Run every BEGIN (or END) program, in metadata order.
    fn run_special(&self, which: Attach) -> Result<(), Error> {
        for probe in self.meta.probes.iter().filter(|p| p.attach == which) {
            let fd = load::program_fd(&self.ebpf, probe)?;
            sys::prog_test_run(fd).map_err(|e| {
                Error::new(format!(
                    "cannot run {} (BPF_PROG_TEST_RUN): {e}",
                    probe.name
                ))
            })?;
        }
        Ok(())
    }

    /// The signals of `self:signal` probes, blocked and pollable.
    fn user_signals(&self) -> Result<Option<crate::selfsig::UserSignals>, Error> {
        let mut numbers: Vec<i32> = self
            .meta
            .probes
            .iter()
            .filter_map(|p| match p.attach {
                Attach::Signal { number, .. } => Some(number),
                _ => None,
            })
            .collect();
        crate::sorting::sort(&mut numbers);
        numbers.dedup();
        crate::selfsig::UserSignals::new(&numbers)
            .map_err(|e| Error::new(format!("cannot set up self:signal probes: {e}")))
    }

    /// Run every `self:signal` program for signal `number`, in metadata order.
    fn run_signal(&self, number: i32) -> Result<(), Error> {
        let probes = self
            .meta
            .probes
            .iter()
            .filter(|p| matches!(p.attach, Attach::Signal { number: n, .. } if n == number));
        for probe in probes {
            let fd = load::program_fd(&self.ebpf, probe)?;
            sys::prog_test_run(fd).map_err(|e| {
                Error::new(format!(
                    "cannot run {} (BPF_PROG_TEST_RUN): {e}",
                    probe.name
                ))
            })?;
        }
        Ok(())
    }

    /// Run the iterators: read each to the end, printing its events as they come
    /// (pinned ones are only announced). Returns whether the script is done: it
    /// is once an iterator has run, as in bpftrace.
    fn run_iters(&mut self) -> Result<bool, Error> {
        use std::io::Read;
        let mut ran = false;
        let meta = self.meta;
        for probe in meta.probes.iter() {
            let Attach::Iter { pin, .. } = &probe.attach else {
                continue;
            };
            let prog = self.ebpf.program_mut(&probe.program).ok_or_else(|| {
                Error::new(format!(
                    "{}: program {} is missing",
                    probe.name, probe.program
                ))
            })?;
            let file = crate::load_more::start_iter(prog, pin)
                .map_err(|e| Error::new(format!("cannot run {}: {e}", probe.name)))?;
            let Some(mut file) = file else {
                eprintln!("Program pinned to {pin}");
                continue;
            };
            ran = true;
            // The iterator visits every element within the read(2) calls, so an
            // exit() in it ends the session only after the whole walk: everything it
            // printed is shown (as bpftrace does), then the session stops.
            let mut exited = false;
            let mut buf = vec![0u8; 4096];
            loop {
                let n = file
                    .read(&mut buf)
                    .map_err(|e| Error::new(format!("cannot read {}: {e}", probe.name)))?;
                let records = self.drain_up_to(DRAIN_LIMIT);
                for record in &records {
                    exited |= self.handle(std::slice::from_ref(record));
                }
                if n == 0 {
                    break;
                }
            }
            if exited {
                return Ok(true);
            }
        }
        Ok(ran)
    }

    /// Take every record currently in the ringbuf.
    fn drain(&mut self) -> Vec<Vec<u8>> {
        self.drain_up_to(usize::MAX)
    }

    /// Take at most `limit` records from the ringbuf. While probes fire, the ring
    /// may never empty: a uprobe on `malloc` fires for tracerun's own reads of it,
    /// so the event loop takes a bounded share and looks for signals in between.
    fn drain_up_to(&mut self, limit: usize) -> Vec<Vec<u8>> {
        let mut records = Vec::new();
        if let Some(ring) = &mut self.ring {
            while records.len() < limit {
                let Some(item) = ring.next() else { break };
                records.push(item.to_vec());
            }
        }
        records
    }

    /// Act on records in order; returns true at `exit()` (the rest are dropped).
    fn handle(&mut self, records: &[Vec<u8>]) -> bool {
        for (i, record) in records.iter().enumerate() {
            match events::decode(self.meta, record) {
                Ok(Action::Print(bytes)) => match self.format {
                    Format::Text => self.emit(&bytes),
                    Format::Json => {
                        let kind = if record_kind(record) == Some(EventKind::Join) {
                            // Text mode's join adds the newline; JSON data does not have it.
                            "join"
                        } else {
                            "printf"
                        };
                        let data = match kind {
                            "join" => bytes.strip_suffix(b"\n").unwrap_or(&bytes),
                            _ => &bytes,
                        };
                        self.emit(&print::json::event(kind, &print::json::string(data)));
                    }
                },
                Ok(Action::Exit) => {
                    unwind_dropped(records.get(i + 1..).unwrap_or(&[]));
                    return true;
                }
                Ok(Action::ExitCode(code)) => {
                    self.exit_status = code;
                    unwind_dropped(records.get(i + 1..).unwrap_or(&[]));
                    return true;
                }
                Ok(Action::Clear(i)) => self.clear(i),
                Ok(Action::Zero(i)) => self.zero(i),
                Ok(Action::PrintMap { map, top, div }) => self.print_map(map, top, div),
                Ok(Action::PrintValue(v)) => {
                    let bytes = match self.format {
                        Format::Text => print::text::value(&v),
                        Format::Json => print::json::event("value", &print::json::value(&v)),
                    };
                    self.emit(&bytes);
                }
                Ok(Action::HelperError { text, json }) => match self.format {
                    Format::Json => self.emit(&json),
                    Format::Text => match &mut self.capture {
                        Some(c) => c.extend_from_slice(&text),
                        None => eprint!("{}", String::from_utf8_lossy(&text)),
                    },
                },
                Ok(Action::Eprint(_))
                    if self.no_warnings && record_kind(record) == Some(EventKind::Warn) => {}
                Ok(Action::Eprint(bytes)) => match &mut self.capture {
                    Some(c) => c.extend_from_slice(&bytes),
                    None => eprint!("{}", String::from_utf8_lossy(&bytes)),
                },
                Ok(Action::Cat(path)) => match calls::cat(&path, self.settings.max_cat_bytes) {
                    Ok(bytes) => self.emit_text("cat", &bytes),
                    Err(m) => {
                        eprint!("{m}");
                    }
                },
                Ok(Action::System(cmd)) => match calls::system(&cmd) {
                    Ok(bytes) => self.emit_text("syscall", &bytes),
                    Err(m) => eprint!("{m}"),
                },
                Ok(Action::Time(fmt)) => self.emit_text("time", &calls::time(&fmt)),
                Ok(Action::Unwatch(addr)) => crate::watchpoint::unwatch(&self.meta.probes, addr),
                Err(e) => eprintln!("tracerun: warning: {e}"),
            }
        }
        false
    }

    /// Text a function produced (`cat`, `system`, `time`): as it is, or with `-f json`
    /// as bpftrace's `{"type": KIND, "data": TEXT}` event.
    fn emit_text(&mut self, kind: &str, bytes: &[u8]) {
        match self.format {
            Format::Text => self.emit(bytes),
            Format::Json => {
                self.emit(&print::json::event(kind, &print::json::string(bytes)));
            }
        }
    }

    fn emit(&mut self, bytes: &[u8]) {
        if let Some(c) = &mut self.capture {
            c.extend_from_slice(bytes);
            return;
        }
        if self.out_error.is_none() {
            if let Err(e) = self.out.write(bytes) {
                self.out_error = Some(e);
            }
        }
    }

    fn user_map(&self, index: usize) -> Option<(UserMap, RawFd)> {
        let spec = self.meta.maps.get(index)?;
        let MapRole::User {
            name,
            key,
            value,
            agg,
            additive,
        } = &spec.role
        else {
            return None;
        };
        let fd = load::map_fd(&self.ebpf, &spec.symbol).ok()?;
        let map = UserMap {
            name: name.clone(),
            key: key.clone(),
            value: value.clone(),
            agg: crate::agg_bounds::resolve(*agg),
            additive: *additive,
        };
        Some((map, fd))
    }

    fn clear(&mut self, index: usize) {
        if let Some((map, fd)) = self.user_map(index) {
            if let Err(e) = map.clear(fd) {
                eprintln!("tracerun: warning: cannot clear {}: {e}", map.name);
            }
        }
    }

    fn zero(&mut self, index: usize) {
        if let Some((map, fd)) = self.user_map(index) {
            if let Err(e) = map.zero(fd, self.ncpus) {
                eprintln!("tracerun: warning: cannot zero {}: {e}", map.name);
            }
        }
    }

    /// `print(@m, top, div)`: the map as it is now.
    fn print_map(&mut self, index: usize, top: u64, div: u64) {
        let Some((map, fd)) = self.user_map(index) else {
            return;
        };
        let entries = match map.read(fd, self.ncpus) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("tracerun: warning: cannot read {}: {e}", map.name);
                return;
            }
        };
        let rendered = print::render_for_print(&map, &entries, top, div);
        let bytes = match self.format {
            Format::Text => print::text::map(&map.name, &rendered),
            Format::Json => print::json::map(&map.name, &rendered, map.agg),
        };
        self.emit(&bytes);
    }

    /// Print `Lost N events` when the lost-events counter grew.
    fn check_lost(&mut self) {
        // Packets `skboutput` lost count as lost events too.
        let mut n = self.skb.as_mut().map_or(0, |s| std::mem::take(&mut s.lost));
        if let Some(total) = self.lost.as_ref().and_then(|l| l.read(self.ncpus)) {
            n += total.saturating_sub(self.lost_seen);
            self.lost_seen = self.lost_seen.max(total);
        }
        if n > 0 {
            match self.format {
                Format::Text => eprintln!("Lost {n} events"),
                Format::Json => self.emit(&print::json::lost(n)),
            }
        }
    }

    /// END, its output, and the maps.
    fn teardown(&mut self) -> Result<(), Error> {
        // Probes stop firing before END runs, as in bpftrace.
        for probe in &self.meta.probes {
            load::detach(&mut self.ebpf, probe, &self.meta.probes);
        }
        // Whatever arrived after exit() or the signal is dropped, as bpftrace does
        // (but `dw_ustack` snapshots, which keys of the maps printed below name);
        // captured packets are written.
        let dropped = self.drain();
        unwind_dropped(&dropped);
        if let Some(s) = &mut self.skb {
            s.finish();
        }
        self.run_special(Attach::End)?;
        let records = self.drain();
        self.handle(&records);
        self.check_lost();
        if self.format == Format::Text {
            self.emit(b"\n\n");
        }
        let mut maps = Vec::new();
        let shown = if self.meta.skip_maps_on_exit {
            0
        } else {
            self.meta.maps.len()
        };
        for i in 0..shown {
            if let Some((map, fd)) = self.user_map(i) {
                match map.read(fd, self.ncpus) {
                    Ok(entries) => maps.push((map, entries)),
                    Err(e) => eprintln!("tracerun: warning: cannot read {}: {e}", map.name),
                }
            }
        }
        let text = crate::maps::format_all_as(&maps, self.format);
        self.emit(&text);
        match self.out_error.take() {
            Some(e) => Err(Error::new(format!("cannot write output: {e}"))),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_kinds() {
        assert_eq!(
            record_kind(&[3, 0, 0, 0, 0, 0, 0, 0]),
            Some(EventKind::Exit)
        );
        assert_eq!(record_kind(&[1, 0, 0, 0]), Some(EventKind::Printf));
        assert_eq!(record_kind(&[99, 0, 0, 0]), None);
        assert_eq!(record_kind(&[3]), None);
    }
}
