//! `skboutput` against the host's kernel BTF: calls, metadata, map and code; the
//! argument checks it shares with `socket_cookie`.

use crate::ir::{BinOp, Helper, Inst, MapKind, Operand};
use tracec_meta::{MapRole, SkbOutputSpec};

fn compile(src: &str) -> Option<Result<crate::Compiled, Vec<String>>> {
    crate::kbtf::default_btf()?;
    Some(
        crate::compile(src, &crate::Options::default())
            .map_err(|d| d.into_iter().map(|d| d.message).collect()),
    )
}

fn insts(c: &crate::Compiled) -> Vec<&Inst> {
    c.ir.functions
        .iter()
        .flat_map(|f| &f.blocks)
        .flat_map(|b| &b.insts)
        .collect()
}

#[test]
fn perf_rb_pages_reaches_every_call() {
    let Some(c) = compile(
        r#"config = { perf_rb_pages = 256 }
           rawtracepoint:net_dev_start_xmit { skboutput("a.pcap", args.skb, 1, 0); skboutput("b.pcap", args.skb, 2, 0); }"#,
    ) else {
        return;
    };
    let c = c.unwrap();
    let pages: Vec<u64> = c
        .metadata
        .skb_outputs
        .iter()
        .map(|s| s.perf_rb_pages)
        .collect();
    assert_eq!(pages, [256, 256]);
}

#[test]
fn each_call_gets_an_id_and_one_perf_event_array_serves_all() {
    let Some(c) = compile(
        r#"rawtracepoint:net_dev_start_xmit { skboutput("a.pcap", args.skb, args.skb.len, 14); }
           rawtracepoint:net_dev_xmit,rawtracepoint:consume_skb {
             $r = skboutput("a.pcap", (struct sk_buff *)arg0, 1, 0);
             skboutput("/tmp/b.pcap", arg0, 64, 0); }"#,
    ) else {
        return;
    };
    let c = c.unwrap();
    let spec = |p: &str, offset| SkbOutputSpec {
        path: p.into(),
        offset,
        perf_rb_pages: 0,
    };
    // The second probe's two attach points share their calls' ids.
    assert_eq!(
        c.metadata.skb_outputs,
        [
            spec("a.pcap", 14),
            spec("a.pcap", 0),
            spec("/tmp/b.pcap", 0)
        ]
    );
    let roles: Vec<_> = c
        .metadata
        .maps
        .iter()
        .filter(|m| m.role == MapRole::SkbOutput)
        .collect();
    assert_eq!(roles.len(), 1);
    let map =
        c.ir.maps
            .iter()
            .find(|m| m.symbol == roles[0].symbol)
            .unwrap();
    assert_eq!((map.kind, map.max_entries), (MapKind::PerfEventArray, 0));
    let i = insts(&c);
    let calls = |h| {
        i.iter()
            .filter(|x| matches!(x, Inst::Call { helper, .. } if *helper == h))
            .count()
    };
    assert!(calls(Helper::SkbOutput) >= 3);
    assert!(calls(Helper::KtimeGetBootNs) >= 3);
    // flags = BPF_F_CURRENT_CPU | length << 32
    assert!(i.iter().any(|x| matches!(
        x,
        Inst::Binary {
            op: BinOp::Or,
            rhs: Operand::Imm(0xffff_ffff),
            ..
        }
    )));
}

#[test]
fn only_a_probe_argument_declared_as_a_socket_buffer_is_taken() {
    let Some(r) = compile(
        r#"rawtracepoint:net_dev_start_xmit { skboutput("a.pcap", (struct sk_buff *)arg1, 1, 0); }"#,
    ) else {
        return;
    };
    let e = r.err().unwrap();
    assert!(
        e[0].starts_with("skboutput() expects a socket buffer"),
        "{e:?}"
    );
    // Read through a pointer, the value has no BTF type the verifier knows.
    let e = compile(
        r#"rawtracepoint:net_dev_start_xmit { skboutput("a.pcap", args.skb.next, 1, 0); }"#,
    )
    .unwrap()
    .err()
    .unwrap();
    assert!(
        e[0].starts_with("skboutput() expects a socket buffer"),
        "{e:?}"
    );
    let e = compile(r#"BEGIN { skboutput("a.pcap", 0, 1, 0); }"#)
        .unwrap()
        .err()
        .unwrap();
    assert_eq!(e, ["skboutput() can not be used with \"special\" probes"]);
    // socket_cookie shares the check: a cast does not make an argument a socket.
    let e = compile(
        r#"rawtracepoint:net_dev_start_xmit { print(socket_cookie((struct sock *)args.skb)); }"#,
    )
    .unwrap()
    .err()
    .unwrap();
    assert!(
        e[0].starts_with("socket_cookie() expects a socket"),
        "{e:?}"
    );
}
