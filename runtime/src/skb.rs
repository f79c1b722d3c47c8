//! `skboutput`: the perf event array of `MapRole::SkbOutput` read through one perf
//! buffer per online CPU, each sample's packet written to the PCAP file of its call
//! (`Metadata::skb_outputs`), as bpftrace writes them: link type RAW (IP without a
//! link-layer header), snapshot length 65535, microsecond timestamps taken from
//! `bpf_ktime_get_boot_ns` plus the wall-clock time of boot.

use crate::Error;
use aya::maps::perf::{PerfEvent, PerfEventArrayBuffer};
use aya::maps::{MapData, PerfEventArray};
use aya::Ebpf;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::fd::{AsRawFd, RawFd};
use tracec_meta::{Metadata, SKB_OUTPUT_HEADER_SIZE};

/// `LINKTYPE_RAW`: each packet starts with an IPv4 or IPv6 header.
pub const LINKTYPE_RAW: u32 = 101;
/// The snapshot length in the file header (libpcap's `pcap_open_dead(DLT_RAW, 65535)`).
pub const SNAPLEN: u32 = 65535;
/// `perf_rb_pages` from the environment, which wins over the script's config block.
const PAGES_ENV: &str = "BPFTRACE_PERF_RB_PAGES";

/// The power of two nearest `n` (the lower one on a tie; 1 for 0).
fn nearest_power_of_2(n: u64) -> u64 {
    if n <= 1 {
        return 1;
    }
    let low = 1u64 << (63 - n.leading_zeros());
    let high = low.saturating_mul(2);
    if n - low <= high.saturating_sub(n) {
        low
    } else {
        high
    }
}

/// Pages of each CPU's perf buffer, as bpftrace sizes them: `perf_rb_pages` (the
/// whole budget, `configured`) split over the CPUs; without it, the host's available
/// memory clamped to 256 KiB..16544 KiB, split over the CPUs; both rounded to the
/// nearest power of two. `avail_kb` `None`: the memory is unknown (64 pages).
pub fn pages_per_cpu(configured: u64, ncpus: u64, avail_kb: Option<u64>, page: u64) -> usize {
    let ncpus = ncpus.max(1);
    let pages = if configured > 0 {
        nearest_power_of_2(configured.div_ceil(ncpus))
    } else if let Some(kb) = avail_kb {
        let bytes = kb.clamp(256, 16544) * 1024 / ncpus;
        nearest_power_of_2(bytes / page.max(1))
    } else {
        64
    };
    usize::try_from(pages).unwrap_or(usize::MAX)
}

/// `MemAvailable` of `/proc/meminfo`, in KiB.
fn available_kb() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The configured `perf_rb_pages`: the environment's, else the script's (0: none).
fn configured_pages(meta: &Metadata) -> Result<u64, String> {
    match std::env::var(PAGES_ENV) {
        Ok(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{PAGES_ENV}: '{v}' is not a positive integer")),
        Err(_) => Ok(meta
            .skb_outputs
            .iter()
            .map(|s| s.perf_rb_pages)
            .max()
            .unwrap_or(0)),
    }
}

/// A classic PCAP file being written.
pub struct Pcap<W: Write> {
    out: W,
}

impl<W: Write> Pcap<W> {
    /// Start the file: the 24-byte global header, in this host's byte order.
    pub fn new(mut out: W) -> io::Result<Pcap<W>> {
        let mut h = Vec::with_capacity(24);
        h.extend_from_slice(&0xa1b2_c3d4u32.to_ne_bytes());
        h.extend_from_slice(&2u16.to_ne_bytes());
        h.extend_from_slice(&4u16.to_ne_bytes());
        h.extend_from_slice(&[0; 8]); // thiszone, sigfigs
        h.extend_from_slice(&SNAPLEN.to_ne_bytes());
        h.extend_from_slice(&LINKTYPE_RAW.to_ne_bytes());
        out.write_all(&h)?;
        Ok(Pcap { out })
    }

    /// One packet captured `wall_ns` nanoseconds after the epoch.
    pub fn packet(&mut self, wall_ns: u64, data: &[u8]) -> io::Result<()> {
        let len = data.len() as u32;
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&((wall_ns / 1_000_000_000) as u32).to_ne_bytes());
        h[4..8].copy_from_slice(&((wall_ns % 1_000_000_000 / 1000) as u32).to_ne_bytes());
        h[8..12].copy_from_slice(&len.to_ne_bytes());
        h[12..16].copy_from_slice(&len.to_ne_bytes());
        self.out.write_all(&h)?;
        self.out.write_all(data)
    }

    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// A sample's header and packet: (call id, boot ns, packet bytes). The packet is
/// everything after the header, with the zeros the kernel pads a raw sample with
/// (its 4-byte size plus data end on 8 bytes): bpftrace writes those too, and since
/// its 24-byte header and this 16-byte one are both multiples of 8, the padding is
/// the same length.
pub fn parse_sample(s: &[u8]) -> Option<(usize, u64, &[u8])> {
    let h = SKB_OUTPUT_HEADER_SIZE as usize;
    let head = s.get(..h)?;
    let id = u32::from_ne_bytes([head[0], head[1], head[2], head[3]]);
    let mut ns = [0u8; 8];
    ns.copy_from_slice(&head[8..16]);
    Some((id as usize, u64::from_ne_bytes(ns), &s[h..]))
}

/// The perf buffers and the open PCAP files of a session.
pub struct SkbOutput {
    buffers: Vec<PerfEventArrayBuffer<MapData>>,
    /// Per call: index into `files`, and the bytes skipped at the packet's start.
    calls: Vec<(usize, usize)>,
    files: Vec<(String, Pcap<BufWriter<File>>)>,
    boot_ns: i128,
    /// Samples the kernel dropped because a buffer was full, not reported yet.
    pub lost: u64,
}

impl SkbOutput {
    /// Create the PCAP files and open the buffers; `None` without `skboutput`.
    pub fn open(meta: &Metadata, ebpf: &mut Ebpf) -> Result<Option<SkbOutput>, Error> {
        let Some(spec) = meta.skb_output_map() else {
            return Ok(None);
        };
        let fail =
            |what: &str, e: &dyn std::fmt::Display| Error::new(format!("skboutput: {what}: {e}"));
        let mut files: Vec<(String, Pcap<BufWriter<File>>)> = Vec::new();
        let mut calls = Vec::new();
        for c in &meta.skb_outputs {
            let i = match files.iter().position(|(p, _)| *p == c.path) {
                Some(i) => i,
                None => {
                    let pcap = File::create(&c.path)
                        .and_then(|f| Pcap::new(BufWriter::new(f)))
                        .map_err(|e| fail(&format!("cannot create {}", c.path), &e))?;
                    files.push((c.path.clone(), pcap));
                    files.len() - 1
                }
            };
            calls.push((i, usize::try_from(c.offset).unwrap_or(usize::MAX)));
        }
        let map = ebpf
            .take_map(&spec.symbol)
            .ok_or_else(|| fail("map missing", &spec.symbol))?;
        let mut array = PerfEventArray::try_from(map).map_err(|e| fail(&spec.symbol, &e))?;
        let cpus = aya::util::online_cpus().map_err(|(_, e)| fail("online CPUs", &e))?;
        let configured = configured_pages(meta).map_err(|e| fail("perf buffer size", &e))?;
        // SAFETY: sysconf has no preconditions.
        let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(1) as u64;
        let pages = pages_per_cpu(configured, cpus.len() as u64, available_kb(), page);
        let mut buffers = Vec::new();
        for cpu in cpus {
            buffers.push(
                array
                    .open(cpu, Some(pages))
                    .map_err(|e| fail("perf buffer", &e))?,
            );
        }
        Ok(Some(SkbOutput {
            buffers,
            calls,
            files,
            boot_ns: crate::fmtvals::boot_wall_ns(),
            lost: 0,
        }))
    }

    /// The buffers' descriptors, readable when samples wait.
    pub fn fds(&self) -> impl Iterator<Item = RawFd> + '_ {
        self.buffers.iter().map(|b| b.as_raw_fd())
    }

    /// Write every waiting sample to its file.
    pub fn drain(&mut self) {
        let mut samples = Vec::new();
        let mut lost = 0;
        for b in self.buffers.iter_mut().filter(|b| b.readable()) {
            b.for_each(|e| match e {
                PerfEvent::Sample { head, tail } => samples.push([head, tail].concat()),
                PerfEvent::Lost { count } => lost += count,
            });
        }
        self.lost += lost;
        for s in &samples {
            let Some((id, ns, packet)) = parse_sample(s) else {
                continue;
            };
            let Some(&(file, skip)) = self.calls.get(id) else {
                continue;
            };
            // As bpftrace: an offset past the captured bytes writes no record.
            let Some(data) = packet.get(skip..).filter(|d| !d.is_empty()) else {
                continue;
            };
            let wall = (self.boot_ns + i128::from(ns)).max(0) as u64;
            let (path, pcap) = &mut self.files[file];
            if let Err(e) = pcap.packet(wall, data) {
                eprintln!("tracerun: warning: cannot write {path}: {e}");
            }
        }
    }

    /// Write what is left and flush the files.
    pub fn finish(&mut self) {
        self.drain();
        for (path, pcap) in &mut self.files {
            if let Err(e) = pcap.flush() {
                eprintln!("tracerun: warning: cannot write {path}: {e}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_ne_bytes(b[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn global_header_is_raw_ip_version_2_4() {
        let p = Pcap::new(Vec::new()).unwrap();
        let h = p.out;
        assert_eq!(h.len(), 24);
        assert_eq!(u32_at(&h, 0), 0xa1b2_c3d4);
        assert_eq!(u16::from_ne_bytes([h[4], h[5]]), 2);
        assert_eq!(u16::from_ne_bytes([h[6], h[7]]), 4);
        assert_eq!(u32_at(&h, 8), 0);
        assert_eq!(u32_at(&h, 12), 0);
        assert_eq!(u32_at(&h, 16), 65535);
        assert_eq!(u32_at(&h, 20), 101);
    }

    #[test]
    fn packet_records_have_microsecond_timestamps() {
        let mut p = Pcap::new(Vec::new()).unwrap();
        p.packet(1_700_000_000_123_456_789, &[0x45, 0, 0, 20])
            .unwrap();
        p.packet(5, &[]).unwrap();
        let b = &p.out[24..];
        assert_eq!(b.len(), 16 + 4 + 16);
        assert_eq!(u32_at(b, 0), 1_700_000_000);
        assert_eq!(u32_at(b, 4), 123_456);
        assert_eq!(u32_at(b, 8), 4);
        assert_eq!(u32_at(b, 12), 4);
        assert_eq!(&b[16..20], &[0x45, 0, 0, 20]);
        assert_eq!(&b[20..28], &[0; 8]);
        assert_eq!(u32_at(b, 28), 0);
    }

    fn sample(id: u32, len: u32, ns: u64, data: &[u8]) -> Vec<u8> {
        let mut s = id.to_ne_bytes().to_vec();
        s.extend_from_slice(&len.to_ne_bytes());
        s.extend_from_slice(&ns.to_ne_bytes());
        s.extend_from_slice(data);
        s
    }

    #[test]
    fn samples_keep_the_kernels_padding() {
        // 3 packet bytes: 4 + 16 + 3 rounded up to 8 is 24, so 1 byte of padding.
        let s = sample(2, 3, 99, &[1, 2, 3, 0]);
        assert_eq!(parse_sample(&s), Some((2, 99, &[1u8, 2, 3, 0][..])));
        let s = sample(0, 100, 1, &[7, 8]);
        assert_eq!(parse_sample(&s), Some((0, 1, &[7u8, 8][..])));
        assert_eq!(parse_sample(&s[..10]), None);
    }

    #[test]
    fn buffer_pages_follow_perf_rb_pages_as_bpftrace() {
        assert_eq!(nearest_power_of_2(0), 1);
        assert_eq!(nearest_power_of_2(5), 4);
        assert_eq!(nearest_power_of_2(6), 4);
        assert_eq!(nearest_power_of_2(7), 8);
        assert_eq!(nearest_power_of_2(64), 64);
        // Configured: the total over the CPUs, rounded up, then to a power of two.
        assert_eq!(pages_per_cpu(1024, 2, Some(1), 4096), 512);
        assert_eq!(pages_per_cpu(100, 3, None, 4096), 32);
        assert_eq!(pages_per_cpu(1, 8, None, 4096), 1);
        // From memory: clamped to 256..16544 KiB.
        assert_eq!(pages_per_cpu(0, 2, Some(8_000_000), 4096), 2048);
        assert_eq!(pages_per_cpu(0, 1, Some(10), 4096), 64);
        assert_eq!(pages_per_cpu(0, 4, None, 4096), 64);
    }
}
