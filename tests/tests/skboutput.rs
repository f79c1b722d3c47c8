//! End to end: `skboutput` writes the packets of a rawtracepoint's socket buffer into
//! a PCAP file (link type RAW), and refuses what the kernel would refuse.

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tracec_tests::*;

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(b[at..at + 4].try_into().unwrap())
}

/// The records of a PCAP file after checking its global header: (seconds,
/// microseconds, captured length, original length, bytes).
fn pcap_records(file: &[u8]) -> Vec<(u32, u32, u32, u32, Vec<u8>)> {
    assert!(file.len() >= 24, "PCAP file of {} bytes", file.len());
    assert_eq!(u32_at(file, 0), 0xa1b2_c3d4, "magic");
    assert_eq!(&file[4..8], &[2, 0, 4, 0], "version 2.4");
    assert_eq!(u32_at(file, 16), 65535, "snaplen");
    assert_eq!(u32_at(file, 20), 101, "LINKTYPE_RAW");
    let mut out = Vec::new();
    let mut at = 24;
    while at < file.len() {
        let incl = u32_at(file, at + 8);
        let data = file[at + 16..at + 16 + incl as usize].to_vec();
        out.push((
            u32_at(file, at),
            u32_at(file, at + 4),
            incl,
            u32_at(file, at + 12),
            data,
        ));
        at += 16 + incl as usize;
    }
    assert_eq!(at, file.len(), "records end with the file");
    out
}

/// Loopback packets seen before the driver (`net_dev_start_xmit`) start with a
/// 14-byte ethernet header of zeros; offset 14 leaves the IPv4 packet, whole.
#[test]
fn loopback_udp_packet_lands_in_the_pcap_file() {
    let Some(_g) = kernel_or_skip("loopback_udp_packet_lands_in_the_pcap_file") else {
        return;
    };
    let dir = scratch("skboutput");
    let pcap = dir.join("out.pcap");
    let script = format!(
        "config = {{ perf_rb_pages = 16 }} rawtracepoint:net_dev_start_xmit {{ \
           $r = skboutput(\"{}\", args.skb, args.skb.len, 14); printf(\"ret %d\\n\", $r); }}",
        pcap.display()
    );
    let obj = compile_text(&dir, "skb", &script);
    let mut run = Run::start(&obj, &[]);
    run.wait_attached();
    let payload = format!("tracec-skboutput-{}", std::process::id());
    let py = format!(
        "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n\
         s.sendto(b'{payload}', ('127.0.0.1', 9))\n"
    );
    let o = run_cmd("python3", &["-c", &py]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        run.wait_stdout(Duration::from_secs(5), |out| out
            .lines()
            .any(|l| l == "ret 0")),
        "no packet captured:\n{}",
        run.stdout_text()
    );
    run.signal(libc::SIGINT);
    assert_eq!(run.finish(Duration::from_secs(10)), Some(0));

    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let records = pcap_records(&std::fs::read(&pcap).expect("PCAP file written"));
    // The datagram, not the ICMP "port unreachable" quoting it.
    let ours: Vec<_> = records
        .iter()
        .filter(|r| {
            r.4.get(28..28 + payload.len()) == Some(payload.as_bytes()) && r.4.get(9) == Some(&17)
        })
        .collect();
    assert!(
        !ours.is_empty(),
        "no UDP record holds the payload: {records:?}"
    );
    for (sec, usec, incl, orig, data) in ours {
        assert_eq!(incl, orig);
        assert!(*usec < 1_000_000);
        assert!(
            u64::from(*sec).abs_diff(now) < 120,
            "timestamp {sec}, now {now}"
        );
        // IPv4, UDP, the payload after both headers; then, as bpftrace writes it,
        // the zeros that end the kernel's sample (4-byte size, 16-byte header and
        // the 14 + IP bytes captured) on 8 bytes.
        assert_eq!(data[0] >> 4, 4, "{data:?}");
        let ip_len = u16::from_be_bytes([data[2], data[3]]) as usize;
        assert_eq!(ip_len, 20 + 8 + payload.len());
        assert_eq!(
            data.len(),
            (4 + 16 + 14 + ip_len).next_multiple_of(8) - 4 - 16 - 14
        );
        assert!(data[ip_len..].iter().all(|&b| b == 0), "{data:?}");
        assert_eq!(&data[16..20], &[127, 0, 0, 1]);
    }
}

fn compile_error(script: &str) -> String {
    let dir = scratch("skboutput_errors");
    let o = tracec(&["-e", script, "-o", dir.join("x.o").to_str().unwrap()]);
    assert!(!o.status.success(), "{script} compiled");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The kernel takes only a socket buffer whose BTF type it knows (a probe argument
/// declared `struct sk_buff *`), in tracing programs; the file and offset are
/// constants the runtime needs before anything runs.
#[test]
fn skboutput_refuses_what_the_kernel_or_runtime_cannot_take() {
    if !std::path::Path::new("/sys/kernel/btf/vmlinux").exists() {
        eprintln!("skipped: no kernel BTF");
        return;
    }
    let err = compile_error(
        "rawtracepoint:net_dev_start_xmit { skboutput(\"a.pcap\", (struct sk_buff *)arg1, 1, 0); }",
    );
    assert!(
        err.contains("skboutput() expects a socket buffer argument"),
        "{err}"
    );
    let err = compile_error(
        "tracepoint:net:net_dev_start_xmit { skboutput(\"a.pcap\", (struct sk_buff *)args.skbaddr, 1, 0); }",
    );
    assert!(
        err.contains("skboutput() can not be used with \"tracepoint\" probes"),
        "{err}"
    );
    let err = compile_error(
        "rawtracepoint:net_dev_start_xmit { $p = \"a.pcap\"; skboutput($p, args.skb, 1, 0); }",
    );
    assert!(err.contains("expects a string literal"), "{err}");
    let err = compile_error(
        "rawtracepoint:net_dev_start_xmit { skboutput(\"a.pcap\", args.skb, 1, args.skb.len); }",
    );
    assert!(err.contains("constant, non-negative offset"), "{err}");
    let err =
        compile_error("rawtracepoint:net_dev_start_xmit { skboutput(\"a.pcap\", args.skb); }");
    assert!(
        err.contains("skboutput() takes 4 arguments, got 2"),
        "{err}"
    );
}
