//! Kernel struct access against a small synthetic kernel BTF (written with the object
//! writer's encoder, read back with `kbtf`): types, diagnostics, the IR, the object's
//! local BTF and CO-RE records, and the metadata.

use std::sync::Arc;

use super::kernel::KernelBtf;
use crate::diag::Diagnostic;
use crate::kbtf;
use crate::obj::btf::{int_enc, Btf, BtfType, Member};

/// ```c
/// struct inner { unsigned int x; };
/// struct task_struct {
///     int pid;                          // 0
///     int tgid;                         // 4
///     union { unsigned long long a; struct inner in; };   // 8
///     struct task_struct *real_parent;  // 16
///     char comm[16];                    // 24
/// };                                    // size 64
/// ```
fn kernel() -> Arc<kbtf::Btf> {
    let mut b = Btf::new();
    let int = b.int();
    let uint = b.add(BtfType::Int {
        name: "unsigned int".into(),
        size: 4,
        encoding: int_enc::NONE,
    });
    let u64_ = b.add(BtfType::Int {
        name: "unsigned long long".into(),
        size: 8,
        encoding: int_enc::NONE,
    });
    let ch = b.add(BtfType::Int {
        name: "char".into(),
        size: 1,
        encoding: int_enc::CHAR,
    });
    let comm = b.array(ch, 16);
    let inner = b.add(BtfType::Struct {
        name: "inner".into(),
        size: 4,
        members: vec![Member {
            name: "x".into(),
            ty: uint,
            bit_offset: 0,
        }],
    });
    let anon = b.add(BtfType::Union {
        name: String::new(),
        size: 8,
        members: vec![
            Member {
                name: "a".into(),
                ty: u64_,
                bit_offset: 0,
            },
            Member {
                name: "in".into(),
                ty: inner,
                bit_offset: 0,
            },
        ],
    });
    // The pointer is added first and points at the struct added right after it.
    let ptr = b.ptr(b.types().len() as u32 + 2);
    let task = b.add(BtfType::Struct {
        name: "task_struct".into(),
        size: 64,
        members: vec![
            Member {
                name: "pid".into(),
                ty: int,
                bit_offset: 0,
            },
            Member {
                name: "tgid".into(),
                ty: int,
                bit_offset: 32,
            },
            Member {
                name: String::new(),
                ty: anon,
                bit_offset: 64,
            },
            Member {
                name: "real_parent".into(),
                ty: ptr,
                bit_offset: 128,
            },
            Member {
                name: "comm".into(),
                ty: comm,
                bit_offset: 192,
            },
        ],
    });
    assert_eq!(b.get(ptr), Some(&BtfType::Ptr { target: task }));
    Arc::new(kbtf::Btf::from_bytes(b.encode()).expect("synthetic BTF parses"))
}

fn compile(src: &str) -> Result<crate::Compiled, Vec<Diagnostic>> {
    compile_with(src, kernel())
}

/// Compile `src` with `btf` as the kernel's BTF (and no tracefs).
pub(super) fn compile_with(
    src: &str,
    btf: Arc<kbtf::Btf>,
) -> Result<crate::Compiled, Vec<Diagnostic>> {
    let program = crate::front::parse(src)?;
    let env = crate::probes::Env {
        tracefs: "/nonexistent".into(),
        btf: None,
        pid: None,
    };
    let checked = super::check_with_kernel(
        &program,
        &mut |ap| crate::probes::expand(ap, &env),
        KernelBtf::with(btf),
    )?;
    crate::finish(src, &crate::Options::default(), &checked)
}

fn error(src: &str) -> Diagnostic {
    let diags = compile(src).expect_err(src);
    assert_eq!(diags.len(), 1, "{diags:?}");
    diags.into_iter().next().unwrap()
}

/// `(insn_off, type_id, access string, kind)` of every CO-RE record in the object.
fn core_records(object: &[u8]) -> Vec<(u32, u32, String, u32)> {
    use object::{Object, ObjectSection};
    let file = object::File::parse(object).expect("ELF");
    let ext = file.section_by_name(".BTF.ext").unwrap().data().unwrap();
    let btf = file.section_by_name(".BTF").unwrap().data().unwrap();
    let u = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
    let strings = &btf[24 + u(btf, 16) as usize..];
    let string = |off: u32| {
        let s = &strings[off as usize..];
        String::from_utf8_lossy(&s[..s.iter().position(|&c| c == 0).unwrap()]).into_owned()
    };
    let (off, len) = (32 + u(ext, 24) as usize, u(ext, 28) as usize);
    let mut out = Vec::new();
    if len == 0 {
        return out;
    }
    assert_eq!(u(ext, off), 16, "record size");
    let mut at = off + 4;
    while at < off + len {
        let n = u(ext, at + 4) as usize;
        for i in 0..n {
            let r = at + 8 + 16 * i;
            out.push((
                u(ext, r),
                u(ext, r + 4),
                string(u(ext, r + 8)),
                u(ext, r + 12),
            ));
        }
        at += 8 + 16 * n;
    }
    out
}

#[test]
fn nested_pointer_and_string_fields_read_with_relocations() {
    let c = compile(
        "BEGIN { printf(\"%d %d %s %d\\n\", curtask->real_parent->tgid, curtask->pid, curtask->comm, curtask->in.x); }",
    )
    .unwrap_or_else(|d| panic!("{d:?}"));
    let ir = c.ir.to_string();
    for want in [
        "core byte_off(struct task_struct, real_parent) = 16",
        "core byte_off(struct task_struct, tgid) = 4",
        "core byte_off(struct task_struct, pid) = 0",
        "core byte_off(struct task_struct, comm) = 24",
        "core byte_off(struct task_struct, in.x) = 8",
        "core byte_sz(struct task_struct, tgid) = 4",
        "core byte_sz(struct task_struct, comm) = 16",
        "call get_current_task()",
        "call probe_read_kernel(",
    ] {
        assert!(ir.contains(want), "`{want}` missing from\n{ir}");
    }
    let fields: Vec<(&str, &str, &str)> = c
        .metadata
        .core_relocs
        .iter()
        .map(|r| (r.program.as_str(), r.type_name.as_str(), r.field.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            // Pointers: the offset; integers and char arrays: offset, then size.
            ("BEGIN_0", "struct task_struct", "real_parent"),
            ("BEGIN_0", "struct task_struct", "tgid"),
            ("BEGIN_0", "struct task_struct", "tgid"),
            ("BEGIN_0", "struct task_struct", "pid"),
            ("BEGIN_0", "struct task_struct", "pid"),
            ("BEGIN_0", "struct task_struct", "comm"),
            ("BEGIN_0", "struct task_struct", "comm"),
            ("BEGIN_0", "struct task_struct", "in.x"),
            ("BEGIN_0", "struct task_struct", "in.x"),
        ]
    );

    // Local BTF: one task_struct with the members used, in kernel order.
    let local = kbtf::Btf::from_bytes(c.object.clone()).expect("object BTF");
    let task = local.find_struct("task_struct").expect("local task_struct");
    let t = local.ty(task).unwrap();
    let names: Vec<(String, u32)> = t
        .members()
        .map(|m| (m.name.to_string(), m.bit_offset))
        .collect();
    assert_eq!(
        names,
        [
            ("pid".into(), 0),
            ("tgid".into(), 32),
            (String::new(), 64),
            ("real_parent".into(), 128),
            ("comm".into(), 192)
        ]
    );
    assert_eq!(t.size(), Some(64));

    // Records: on each relocated instruction, in instruction order.
    let recs = core_records(&c.object);
    let f = &c.functions[0];
    let mut access: Vec<(&str, u32)> = recs.iter().map(|r| (r.2.as_str(), r.3)).collect();
    access.sort_unstable();
    // The local anonymous union has only the member used (`in`). Kind 0 is
    // FIELD_BYTE_OFFSET, 1 FIELD_BYTE_SIZE.
    assert_eq!(
        access,
        [
            ("0:0", 0),
            ("0:0", 1),
            ("0:1", 0),
            ("0:1", 1),
            ("0:2:0:0", 0),
            ("0:2:0:0", 1),
            ("0:3", 0),
            ("0:4", 0),
            ("0:4", 1)
        ]
    );
    for (insn_off, type_id, _, _) in &recs {
        assert_eq!(*type_id, task);
        let i = f.insns[*insn_off as usize / 8];
        assert_eq!(i.code, 0xb7, "mov64 imm at {insn_off}");
    }
    let by_access = |a: &str, k: u32| {
        let r = recs.iter().find(|r| r.2 == a && r.3 == k).unwrap();
        f.insns[r.0 as usize / 8].imm
    };
    assert_eq!(by_access("0:3", 0), 16);
    assert_eq!(by_access("0:2:0:0", 0), 8);
    assert_eq!(by_access("0:4", 0), 24);
    assert_eq!(by_access("0:4", 1), 16);
    assert_eq!(by_access("0:1", 1), 4);
}

#[test]
fn casts_give_kernel_pointers() {
    let c = compile("BEGIN { $t = (struct task_struct *)curtask; printf(\"%d\\n\", $t->tgid); }")
        .unwrap_or_else(|d| panic!("{d:?}"));
    assert!(c
        .ir
        .to_string()
        .contains("core byte_off(struct task_struct, tgid) = 4"));
}

#[test]
fn unknown_fields_suggest_a_name() {
    let src = "BEGIN { printf(\"%d\\n\", curtask->tigd); }";
    let d = error(src);
    assert_eq!(d.message, "`struct task_struct` has no field `tigd`");
    assert_eq!(&src[d.span.range()], "tigd");
    assert_eq!(d.notes, ["did you mean `tgid`?"]);
    // Names inside anonymous members are candidates too.
    let d = error("BEGIN { printf(\"%d\\n\", curtask->inn.x); }");
    assert_eq!(d.notes, ["did you mean `in`?"]);
}

#[test]
fn unknown_structs_suggest_a_name() {
    let src = "BEGIN { printf(\"%d\\n\", ((struct task_strut *)0)->pid); }";
    let d = error(src);
    assert_eq!(d.message, "unknown struct `task_strut` in the kernel BTF");
    assert_eq!(&src[d.span.range()], "struct task_strut *");
    assert_eq!(d.notes, ["did you mean `struct task_struct`?"]);
}

#[test]
fn misuse_is_reported() {
    let cases = [
        (
            "BEGIN { printf(\"%d\\n\", curtask->pid->x); }",
            "cannot access field `x`: `pid` is int, not a struct",
        ),
        (
            "BEGIN { printf(\"%d\\n\", pid->x); }",
            "cannot access field `x`: the value is not a pointer to a kernel struct",
        ),
        (
            "BEGIN { printf(\"%d\\n\", curtask->pid[1]); }",
            "cannot index int: only arrays and pointers can be",
        ),
        (
            "BEGIN { $x = (struct task_struct)curtask; }",
            "cannot cast to struct task_struct (a struct value); cast to a pointer, e.g. (struct task_struct *)",
        ),
        (
            "BEGIN { $x = (uint8)\"s\"; }",
            "cannot cast a string[2] to uint8",
        ),
    ];
    for (src, msg) in cases {
        assert_eq!(error(src).message, msg, "{src}");
    }
}

#[test]
fn kernel_btf_errors_name_the_file() {
    let program = crate::front::parse("BEGIN { printf(\"%d\\n\", curtask->pid); }").unwrap();
    let env = crate::probes::Env {
        tracefs: "/nonexistent".into(),
        btf: None,
        pid: None,
    };
    let diags = super::check_with_kernel(
        &program,
        &mut |ap| crate::probes::expand(ap, &env),
        KernelBtf::new(Some("/nonexistent/vmlinux".into())),
    )
    .expect_err("no BTF");
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert!(
        diags[0].message.contains("/nonexistent/vmlinux"),
        "{}",
        diags[0].message
    );
}
