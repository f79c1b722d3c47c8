//! End to end: TCP on loopback and memory.

use super::common::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::Duration;

/// A loopback session: connect, send 1000 bytes, get 300 back, close both ends.
/// Returns (server port, client port).
fn tcp_session() -> (u16, u16) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let mut c = TcpStream::connect(("127.0.0.1", port)).unwrap();
    let (mut a, _) = l.accept().unwrap();
    c.write_all(&[b'x'; 1000]).unwrap();
    let mut buf = [0u8; 1000];
    a.read_exact(&mut buf).unwrap();
    a.write_all(&buf[..300]).unwrap();
    c.read_exact(&mut buf[..300]).unwrap();
    let cport = c.local_addr().unwrap().port();
    drop(c);
    drop(a);
    (port, cport)
}

/// A port nothing listens on (connecting to it is refused).
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[test]
fn tcp_states_shows_each_transition_with_names() {
    let Some(mut p) = start("tcp-states", &[]) else {
        return;
    };
    let (port, cport) = tcp_session();
    let client = format!("127.0.0.1:{cport:<5} 127.0.0.1:{port:<5} ");
    let server = format!("127.0.0.1:{port:<5} 127.0.0.1:{cport:<5} ");
    for (side, old, new) in [
        (&client, "SYN_SENT", "ESTABLISHED"),
        (&server, "SYN_RECV", "ESTABLISHED"),
        (&client, "FIN_WAIT2", "CLOSE"),
    ] {
        let want = format!("{side}{old:<11} -> {new:<11} ");
        p.trigger_until(|| {}, |l| l.starts_with(&want));
    }
    let lines = p.stop();
    assert_no_prefix(&lines, "@entered[");
}

#[test]
fn tcp_connects_shows_pid_comm_and_result() {
    let Some(mut p) = start("tcp-connects", &[]) else {
        return;
    };
    let me = std::process::id().to_string();
    let (port, _) = tcp_session();
    p.trigger_until(
        || {},
        |l| l.starts_with(&me) && l.contains(&format!(" 127.0.0.1:{port:<5} connected in ")),
    );
    let refused = closed_port();
    let _ = TcpStream::connect(("127.0.0.1", refused));
    p.trigger_until(
        || {},
        |l| l.starts_with(&me) && l.contains(&format!(" 127.0.0.1:{refused:<5} failed after ")),
    );
    let lines = p.stop();
    assert_no_prefix(&lines, "@start[");
    assert_no_prefix(&lines, "@comm[");
}

#[test]
fn tcp_accepts_shows_passive_opens_and_counts_ports() {
    let Some(mut p) = start("tcp-accepts", &[]) else {
        return;
    };
    let (port, cport) = tcp_session();
    p.trigger_until(
        || {},
        |l| l.ends_with(&format!(" 127.0.0.1:{port:<5} 127.0.0.1:{cport:<5}")),
    );
    let lines = p.stop();
    assert_eq!(
        map_value(&lines, &format!("@accepts[{port}]: ")),
        Some(1),
        "{lines:?}"
    );
}

#[test]
fn tcp_lifetimes_counts_bytes_both_ways() {
    let Some(mut p) = start("tcp-lifetimes", &[]) else {
        return;
    };
    let (port, cport) = tcp_session();
    // The client received 300 bytes (+FIN) and had 1000 acknowledged (+SYN, FIN).
    let want = format!("127.0.0.1:{cport:<5} 127.0.0.1:{port:<5}      301     1002 ");
    p.trigger_until(|| {}, |l| l.starts_with(&want));
    let lines = p.stop();
    // The listener is no session.
    assert!(
        !lines
            .iter()
            .any(|l| l.starts_with(&format!("127.0.0.1:{port:<5} 0.0.0.0:0 "))),
        "{lines:?}"
    );
}

#[test]
fn tcp_resets_reports_a_refused_connect() {
    let Some(mut p) = start("tcp-resets", &[]) else {
        return;
    };
    let port = closed_port();
    p.trigger_until(
        || drop(TcpStream::connect(("127.0.0.1", port))),
        |l| l.contains(&format!(" 127.0.0.1:{port:<5} refused")),
    );
    let lines = p.stop();
    assert!(map_value(&lines, &format!("@resets[{port}]: ")).is_some_and(|n| n >= 1));
}

#[test]
fn tcp_retransmits_sees_syn_retransmissions() {
    let Some(mut p) = start("tcp-retransmits", &[]) else {
        return;
    };
    // A listener with a zero backlog that never accepts: further SYNs are dropped
    // and the clients retransmit them after the 1 s initial timeout.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: listen(2) on a socket we own, to shrink its backlog.
    unsafe { libc::listen(l.as_raw_fd(), 0) };
    let addr: SocketAddr = l.local_addr().unwrap();
    let clients: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(move || {
                TcpStream::connect_timeout(&addr, Duration::from_millis(1600)).ok()
            })
        })
        .collect();
    let want = format!(" 127.0.0.1:{:<5} SYN_SENT", addr.port());
    p.trigger_until(|| {}, |l| l.ends_with(&want));
    for c in clients {
        let _ = c.join();
    }
    drop(l);
    let lines = p.stop();
    assert!(map_value(&lines, &format!("@retransmits[{}]: ", addr.port())).is_some());
}

#[test]
fn page_faults_counts_by_comm_and_kind() {
    let Some(p) = start("page-faults", &[]) else {
        return;
    };
    shell("head -c 4000000 /dev/zero | sort > /dev/null");
    let lines = p.stop();
    assert!(
        map_value(&lines, "@faults[sort]: ").is_some_and(|n| n > 10),
        "{lines:?}"
    );
    assert_prefix(&lines, "@kind[write]: ");
    assert_prefix(&lines, "@kind[read]: ");
}

#[test]
fn kmalloc_sizes_histograms_and_slack() {
    let Some(p) = start("kmalloc-sizes", &[]) else {
        return;
    };
    sh("ls", &["-R", "/usr/share/doc"]);
    let lines = p.stop();
    assert_prefix(&lines, "@alloc_bytes[ls]:");
    assert_prefix(&lines, "@slack_bytes[ls]: ");
}

#[test]
fn page_allocs_counts_pages_and_orders() {
    let Some(p) = start("page-allocs", &[]) else {
        return;
    };
    shell("head -c 20000000 /dev/zero | sort > /dev/null");
    let lines = p.stop();
    assert!(
        map_value(&lines, "@pages[sort]: ").is_some_and(|n| n > 100),
        "{lines:?}"
    );
    let at = lines.iter().position(|l| l == "@order:");
    assert!(
        at.is_some_and(|i| lines[i + 1].starts_with("[0")),
        "{lines:?}"
    );
}

#[test]
fn mmap_sizes_histograms_lengths_and_kinds() {
    let Some(p) = start("mmap-sizes", &[]) else {
        return;
    };
    sh("ls", &["/"]);
    let lines = p.stop();
    assert_prefix(&lines, "@mmap_bytes[ls]:");
    assert_prefix(&lines, "@mmap_kind[file]: ");
    assert_prefix(&lines, "@mmap_kind[anon]: ");
}

#[test]
fn oom_watch_reports_oom_score_adj_writes() {
    let Some(mut p) = start("oom-watch", &[]) else {
        return;
    };
    p.trigger_until(
        || drop(shell("echo 123 > /proc/self/oom_score_adj")),
        |l| l.ends_with(") set to 123 by sh") && l.contains(" (sh) "),
    );
    p.stop();
}
