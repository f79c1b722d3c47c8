use super::*;
use std::os::unix::fs::FileExt;

struct Words(Vec<(u64, u64)>);

impl Memory for Words {
    fn read_u64(&self, addr: u64) -> Option<u64> {
        self.0.iter().find(|(a, _)| *a == addr).map(|(_, v)| *v)
    }
}

#[test]
fn steps_through_rsp_and_rbp_frames() {
    let mem = Words(vec![(0x1008, 0xaaaa), (0x1000, 0x5555), (0x2018, 0xbbbb)]);
    // Function entry: CFA = rsp + 8, return address at CFA - 8.
    let entry = cfi::Row {
        cfa: Cfa::RegOffset(cfi::RSP, 8),
        rbp: Rule::Same,
        ra: Rule::Offset(-8),
    };
    let regs = Regs {
        ip: 0x400,
        sp: 0x1008,
        bp: Some(7),
    };
    let next = step(&entry, regs, &mem).unwrap();
    assert_eq!(
        next,
        Regs {
            ip: 0xaaaa,
            sp: 0x1010,
            bp: Some(7)
        }
    );
    // After `push rbp; mov rbp, rsp`: CFA = rbp + 16, rbp saved at CFA - 16.
    let framed = cfi::Row {
        cfa: Cfa::RegOffset(cfi::RBP, 16),
        rbp: Rule::Offset(-16),
        ra: Rule::Offset(-8),
    };
    let regs = Regs {
        ip: 0x400,
        sp: 0x0ff0,
        bp: Some(0x2010),
    };
    let next = step(&framed, regs, &mem).unwrap();
    assert_eq!(next.ip, 0xbbbb);
    assert_eq!(next.sp, 0x2020);
    // rbp's slot is not in memory: unknown, not a wrong value.
    assert_eq!(next.bp, None);
    // No return address rule (the outermost frame), no readable slot: the end.
    let outer = cfi::Row {
        ra: Rule::Undefined,
        ..entry.clone()
    };
    assert!(step(&outer, regs, &mem).is_none());
    assert!(step(&entry, Regs { sp: 0x5000, ..regs }, &mem).is_none());
}

/// This process's stack from `sp` up, as much as can be read (up to 8 KiB).
fn own_stack(sp: u64) -> Vec<u8> {
    let mem = std::fs::File::open("/proc/self/mem").unwrap();
    let mut size = 8192;
    while size >= 256 {
        let mut buf = vec![0u8; size];
        if mem.read_exact_at(&mut buf, sp).is_ok() {
            return buf;
        }
        size /= 2;
    }
    Vec::new()
}

#[inline(never)]
fn unwind_here(unwinder: &mut Unwinder) -> Vec<u64> {
    let (ip, sp, bp): (u64, u64, u64);
    // SAFETY: reads three registers, touches no memory.
    unsafe {
        std::arch::asm!(
            "lea {ip}, [rip]",
            "mov {sp}, rsp",
            "mov {bp}, rbp",
            ip = out(reg) ip,
            sp = out(reg) sp,
            bp = out(reg) bp,
        );
    }
    let stack = own_stack(sp);
    let snap = Snapshot {
        id: 1,
        pid: std::process::id(),
        ip,
        sp,
        bp,
        stack: &stack,
    };
    unwinder.unwind(&snap)
}

#[inline(never)]
fn caller_for_the_test(unwinder: &mut Unwinder) -> Vec<u64> {
    let v = unwind_here(unwinder);
    std::hint::black_box(v)
}

#[test]
fn unwinds_this_process() {
    let mut u = Unwinder::default();
    let frames = caller_for_the_test(&mut u);
    assert!(frames.len() >= 3, "{frames:x?}");
    let mut sym = crate::symbolize::Symbolizer::default();
    let names: Vec<String> = frames
        .iter()
        .map(|a| {
            sym.user(std::process::id(), *a)
                .map(|r| r.name)
                .unwrap_or_default()
        })
        .collect();
    assert!(names[0].contains("unwind_here"), "{names:?}");
    assert!(names[1].contains("caller_for_the_test"), "{names:?}");
    assert!(names[2].contains("unwinds_this_process"), "{names:?}");
}

#[test]
fn snapshots_of_other_processes_warn_once() {
    let mut u = Unwinder::default();
    let snap = Snapshot {
        id: 9,
        pid: u32::MAX - 1,
        ip: 1,
        sp: 2,
        bp: 3,
        stack: &[],
    };
    assert!(u.snapshot(&snap).unwrap().contains("No DWARF unwind data"));
    assert_eq!(u.snapshot(&Snapshot { id: 10, ..snap }), None);
    assert_eq!(u.frames(9), Some(&[][..]));
    assert_eq!(u.frames(11), None);
}
