//! Tests on hand-encoded blobs (every kind), malformed input, and the running
//! kernel's BTF when readable.

use super::*;

/// A minimal BTF encoder for tests: records are appended raw.
#[derive(Default)]
struct Enc {
    types: Vec<u8>,
    strs: Vec<u8>,
    next_id: u32,
}

impl Enc {
    fn new() -> Enc {
        Enc {
            types: Vec::new(),
            strs: vec![0],
            next_id: 1,
        }
    }

    fn s(&mut self, s: &str) -> u32 {
        if s.is_empty() {
            return 0;
        }
        let off = self.strs.len() as u32;
        self.strs.extend_from_slice(s.as_bytes());
        self.strs.push(0);
        off
    }

    fn w(&mut self, v: u32) {
        self.types.extend_from_slice(&v.to_le_bytes());
    }

    /// A record header; returns the new type id.
    fn rec(&mut self, name: &str, kind: u32, vlen: u32, flag: bool, size_or_type: u32) -> u32 {
        let name = self.s(name);
        self.w(name);
        self.w(kind << 24 | vlen | (flag as u32) << 31);
        self.w(size_or_type);
        self.next_id += 1;
        self.next_id - 1
    }

    fn int(&mut self, name: &str, size: u32, signed: bool) -> u32 {
        let id = self.rec(name, 1, 0, false, size);
        self.w(((signed as u32) << 24) | (size * 8));
        id
    }

    fn strukt(&mut self, kind: u32, name: &str, size: u32, members: &[(&str, u32, u32)]) -> u32 {
        let id = self.rec(name, kind, members.len() as u32, false, size);
        for &(n, ty, off) in members {
            let n = self.s(n);
            self.w(n);
            self.w(ty);
            self.w(off);
        }
        id
    }

    fn finish(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&0xeb9fu16.to_le_bytes());
        out.extend_from_slice(&[1, 0]);
        for v in [
            24,
            0,
            self.types.len() as u32,
            self.types.len() as u32,
            self.strs.len() as u32,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&self.types);
        out.extend_from_slice(&self.strs);
        out
    }
}

/// One type of every kind; returns the blob and (name, id) pairs for the checks.
pub(super) fn sample() -> (Vec<u8>, Vec<(&'static str, u32)>) {
    let mut e = Enc::new();
    let int = e.int("int", 4, true); // 1
    let uchar = e.int("unsigned char", 1, false); // 2
    let ptr = e.rec("", 2, 0, false, 0); // 3: void *
    let arr = e.rec("", 3, 0, false, 0); // 4: unsigned char[16]
    e.w(uchar);
    e.w(int);
    e.w(16);
    let pid_t = e.rec("pid_t", 8, 0, false, int); // 5
    let cpid = e.rec("", 10, 0, false, pid_t); // 6: const pid_t
    let vol = e.rec("", 9, 0, false, cpid); // 7
    let restrict = e.rec("", 11, 0, false, ptr); // 8
    let tag = e.rec("user", 18, 0, false, ptr); // 9: type tag
    let inner = e.strukt(4, "", 8, &[("a", int, 0), ("b", int, 32)]); // 10: anon struct
    let union = e.strukt(5, "", 8, &[("", inner, 0), ("raw", ptr, 0)]); // 11: anon union
    let task = e.rec("task", 4, 4, true, 32); // 12: struct task (bitfields)
    for (n, ty, off) in [
        ("pid", vol, 0u32),
        ("flags", int, 3 << 24 | 32),
        ("", union, 64),
        ("comm", arr, 128),
    ] {
        let n = e.s(n);
        e.w(n);
        e.w(ty);
        e.w(off);
    }
    let en = e.rec("state", 6, 2, true, 4); // 13: signed enum
    let (a, b) = (e.s("RUNNING"), e.s("DEAD"));
    e.w(a);
    e.w(0);
    e.w(b);
    e.w(-1i32 as u32);
    let fwd = e.rec("task", 7, 0, false, 0); // 14: fwd struct task
    let proto = e.rec("", 13, 2, false, int); // 15: int (pid_t, ...)
    let p = e.s("pid");
    e.w(p);
    e.w(pid_t);
    e.w(0);
    e.w(0);
    let func = e.rec("do_exit", 12, 1, false, proto); // 16
    let var = e.rec("jiffies", 14, 0, false, int); // 17
    e.w(1);
    let sec = e.rec(".data", 15, 1, false, 4); // 18
    e.w(var);
    e.w(0);
    e.w(4);
    let float = e.rec("double", 16, 0, false, 8); // 19
    let dtag = e.rec("noinline", 17, 0, false, func); // 20
    e.w(-1i32 as u32);
    let en64 = e.rec("big", 19, 1, false, 8); // 21
    let n = e.s("HUGE");
    e.w(n);
    e.w(0);
    e.w(0x8000_0000);
    let ptask = e.rec("", 2, 0, false, task); // 22: struct task *
    let fptr = e.rec("", 2, 0, false, proto); // 23: int (*)(pid_t, ...)
    let td_task = e.rec("task_t", 8, 0, false, task); // 24
    let names = vec![
        ("int", int),
        ("ptr", ptr),
        ("arr", arr),
        ("pid_t", pid_t),
        ("restrict", restrict),
        ("tag", tag),
        ("task", task),
        ("enum", en),
        ("fwd", fwd),
        ("func", func),
        ("sec", sec),
        ("float", float),
        ("dtag", dtag),
        ("en64", en64),
        ("ptask", ptask),
        ("fptr", fptr),
        ("td_task", td_task),
    ];
    (e.finish(), names)
}

fn id(names: &[(&str, u32)], n: &str) -> u32 {
    names.iter().find(|(k, _)| *k == n).unwrap().1
}

#[test]
fn reads_every_kind() {
    let (blob, names) = sample();
    let btf = Btf::from_bytes(blob).unwrap();
    assert_eq!(btf.len(), 25);
    let kinds: Vec<Kind> = btf.types().map(|t| t.kind()).collect();
    for k in [
        Kind::Int,
        Kind::Ptr,
        Kind::Array,
        Kind::Struct,
        Kind::Union,
        Kind::Enum,
        Kind::Fwd,
        Kind::Typedef,
        Kind::Volatile,
        Kind::Const,
        Kind::Restrict,
        Kind::Func,
        Kind::FuncProto,
        Kind::Var,
        Kind::DataSec,
        Kind::Float,
        Kind::DeclTag,
        Kind::TypeTag,
        Kind::Enum64,
    ] {
        assert!(kinds.contains(&k), "{k:?} missing");
    }
    let int = btf.ty(id(&names, "int")).unwrap().int().unwrap();
    assert_eq!((int.size, int.signed, int.bits), (4, true, 32));
    let arr = btf.ty(id(&names, "arr")).unwrap().array().unwrap();
    assert_eq!(arr.nelems, 16);
    let en: Vec<_> = btf.ty(id(&names, "enum")).unwrap().enum_values().collect();
    assert_eq!(en[1].name, "DEAD");
    assert_eq!(en[1].value, -1);
    let en64: Vec<_> = btf.ty(id(&names, "en64")).unwrap().enum_values().collect();
    assert_eq!(en64[0].value, 0x8000_0000_0000_0000u64 as i128);
    let sec = btf.ty(id(&names, "sec")).unwrap();
    assert_eq!(sec.var_secinfos().next().unwrap().size, 4);
    let func = btf.ty(id(&names, "func")).unwrap();
    assert_eq!(func.linkage(), Some(1));
    assert_eq!(
        btf.ty(id(&names, "dtag")).unwrap().component_idx(),
        Some(-1)
    );
    assert_eq!(btf.ty(id(&names, "float")).unwrap().size(), Some(8));
    assert!(!btf.ty(id(&names, "fwd")).unwrap().fwd_is_union());
}

#[test]
fn finds_by_name_and_resolves() {
    let (blob, names) = sample();
    let btf = Btf::from_bytes(blob).unwrap();
    let task = id(&names, "task");
    // The definition wins over the forward declaration of the same name.
    assert_eq!(btf.find_struct("task"), Some(task));
    assert_eq!(btf.find_all("task"), vec![task, id(&names, "fwd")]);
    assert_eq!(btf.find("task", Kind::Fwd), Some(id(&names, "fwd")));
    assert_eq!(btf.find_typedef("pid_t"), Some(id(&names, "pid_t")));
    assert_eq!(btf.find_enum("state"), Some(id(&names, "enum")));
    assert_eq!(btf.find_enum("big"), Some(id(&names, "en64")));
    assert_eq!(btf.find_struct("nope"), None);
    assert_eq!(btf.find_all(""), Vec::<u32>::new());

    let members: Vec<_> = btf.ty(task).unwrap().members().collect();
    assert_eq!(members.len(), 4);
    assert_eq!((members[1].bit_offset, members[1].bitfield_size), (32, 3));
    // pid: volatile const pid_t -> int.
    assert_eq!(btf.resolve(members[0].ty).unwrap(), id(&names, "int"));
    assert_eq!(
        btf.skip_qualifiers(members[0].ty).unwrap(),
        id(&names, "pid_t")
    );
    assert_eq!(btf.size_of(task).unwrap(), 32);
    assert_eq!(btf.size_of(id(&names, "arr")).unwrap(), 16);
    assert_eq!(btf.size_of(id(&names, "ptask")).unwrap(), 8);
    assert_eq!(btf.size_of(id(&names, "td_task")).unwrap(), 32);
    assert!(btf.size_of(id(&names, "func")).is_err());
}

#[test]
fn members_inside_anonymous_members() {
    let (blob, names) = sample();
    let btf = Btf::from_bytes(blob).unwrap();
    let task = id(&names, "td_task");
    let b = btf.member(task, "b").unwrap().unwrap();
    assert_eq!((b.bit_offset, b.path.clone()), (64 + 32, vec![2, 0, 1]));
    let raw = btf.member(task, "raw").unwrap().unwrap();
    assert_eq!((raw.bit_offset, raw.path), (64, vec![2, 1]));
    let comm = btf.member(task, "comm").unwrap().unwrap();
    assert_eq!(comm.bit_offset, 128);
    assert_eq!(btf.member(task, "nope").unwrap(), None);
    assert!(btf.member(id(&names, "int"), "x").is_err());
}

#[test]
fn renders_c_declarations() {
    let (blob, names) = sample();
    let btf = Btf::from_bytes(blob).unwrap();
    assert_eq!(
        btf.declaration(id(&names, "arr"), "comm"),
        "unsigned char comm[16]"
    );
    assert_eq!(btf.type_name(id(&names, "ptask")), "struct task *");
    assert_eq!(btf.declaration(id(&names, "ptr"), "p"), "void *p");
    assert_eq!(
        btf.declaration(id(&names, "restrict"), "p"),
        "void *restrict p"
    );
    assert_eq!(
        btf.declaration(id(&names, "fptr"), "fn"),
        "int (*fn)(pid_t pid, ...)"
    );
    let task = btf.ty(id(&names, "task")).unwrap();
    let pid = task.members().next().unwrap();
    assert_eq!(btf.declaration(pid.ty, "pid"), "volatile const pid_t pid");
}

#[test]
fn reads_the_btf_section_of_an_elf_file() {
    let (blob, _) = sample();
    let mut strtab = b"\0.BTF\0.shstrtab\0".to_vec();
    let data_off = 64usize;
    let str_off = data_off + blob.len();
    let sh_off = (str_off + strtab.len() + 7) & !7;
    let mut elf = vec![0u8; 64];
    elf[..6].copy_from_slice(b"\x7fELF\x02\x01");
    elf[0x28..0x30].copy_from_slice(&(sh_off as u64).to_le_bytes());
    elf[0x3a..0x3c].copy_from_slice(&64u16.to_le_bytes());
    elf[0x3c..0x3e].copy_from_slice(&3u16.to_le_bytes());
    elf[0x3e..0x40].copy_from_slice(&2u16.to_le_bytes());
    elf.extend_from_slice(&blob);
    elf.append(&mut strtab);
    elf.resize(sh_off, 0);
    let section = |name: u32, off: usize, size: usize| {
        let mut s = vec![0u8; 64];
        s[..4].copy_from_slice(&name.to_le_bytes());
        s[0x18..0x20].copy_from_slice(&(off as u64).to_le_bytes());
        s[0x20..0x28].copy_from_slice(&(size as u64).to_le_bytes());
        s
    };
    elf.extend(section(0, 0, 0));
    elf.extend(section(1, data_off, blob.len()));
    elf.extend(section(6, str_off, 16));
    let btf = Btf::from_bytes(elf.clone()).unwrap();
    assert!(btf.find_struct("task").is_some());
    // The same file without a .BTF section.
    let mut no_btf = elf;
    no_btf[str_off + 1] = b'X';
    assert!(Btf::from_bytes(no_btf).unwrap_err().0.contains("no .BTF"));
}

#[test]
fn rejects_malformed_input_without_panicking() {
    let (blob, _) = sample();
    assert!(Btf::from_bytes(Vec::new()).is_err());
    assert!(Btf::from_bytes(b"\x7fELF".to_vec()).is_err());
    // Every truncation and every single-byte corruption either parses or errors;
    // whatever parses can be queried without panicking.
    for len in 0..blob.len() {
        exercise(blob[..len].to_vec());
    }
    for at in 0..blob.len() {
        for v in [0x00, 0x01, 0x13, 0x7f, 0x80, 0xff] {
            let mut b = blob.clone();
            b[at] = v;
            exercise(b);
        }
    }
    // A reference to a missing type is an error when it is followed (loading reads
    // only record headers).
    let mut e = Enc::new();
    e.rec("p", 2, 0, false, 7);
    let btf = Btf::from_bytes(e.finish()).unwrap();
    let target = btf.ty(1).unwrap().raw_type();
    assert_eq!(target, 7);
    assert!(btf
        .ty(target)
        .unwrap_err()
        .0
        .contains("no BTF type with id 7"));
    assert!(btf.size_of(btf.len()).is_err());
    let _ = btf.declaration(1, "x");
    // A typedef cycle is an error, not a hang.
    let mut e = Enc::new();
    e.rec("a", 8, 0, false, 2);
    e.rec("b", 8, 0, false, 1);
    let btf = Btf::from_bytes(e.finish()).unwrap();
    assert!(btf.resolve(1).is_err());
    assert!(btf.size_of(1).is_err());
    assert_eq!(btf.declaration(1, "x"), "a x");
    let mut e = Enc::new();
    e.rec("", 10, 0, false, 2);
    e.rec("", 9, 0, false, 1);
    let btf = Btf::from_bytes(e.finish()).unwrap();
    assert!(btf.skip_qualifiers(1).is_err());
    assert!(btf.declaration(1, "x").contains("too long"));
}

fn exercise(bytes: Vec<u8>) {
    let Ok(btf) = Btf::from_bytes(bytes) else {
        return;
    };
    for t in btf.types() {
        let _ = (t.name(), t.int(), t.array(), t.size(), t.target());
        let _ = t.members().count() + t.enum_values().count() + t.params().count();
        let _ = btf.size_of(t.id());
        let _ = btf.type_name(t.id());
        let _ = btf.member(t.id(), "a");
    }
    let _ = btf.find_struct("task");
    assert!(btf.ty(btf.len()).is_err());
}

#[test]
fn running_kernel_btf() {
    let path = Path::new(VMLINUX_BTF);
    if std::fs::File::open(path).is_err() {
        eprintln!("skipping: {VMLINUX_BTF} is not readable");
        return;
    }
    let start = std::time::Instant::now();
    let bytes = std::fs::read(path).unwrap();
    let read = start.elapsed();
    let btf = Btf::from_bytes(bytes).unwrap();
    let loaded = start.elapsed();
    eprintln!("vmlinux: read {read:?}");
    let task = btf.find_struct("task_struct").expect("struct task_struct");
    let indexed = start.elapsed();
    eprintln!(
        "vmlinux: {} types, load {loaded:?}, + index {indexed:?}",
        btf.len()
    );
    assert!(btf.len() > 10_000);
    let pid = btf.member(task, "pid").unwrap().expect("task_struct.pid");
    assert_eq!(btf.type_name(pid.ty), "pid_t");
    assert_eq!(btf.size_of(pid.ty).unwrap(), 4);
    let parent = btf.member(task, "real_parent").unwrap().unwrap();
    assert_eq!(btf.type_name(parent.ty), "struct task_struct *");
    let comm = btf.member(task, "comm").unwrap().unwrap();
    assert_eq!(btf.size_of(comm.ty).unwrap(), 16);
    let entry = btf.find_struct("trace_entry").unwrap();
    assert_eq!(btf.size_of(entry).unwrap(), 8);
    assert!(btf.find_typedef("u32").is_some());
}
