//! The integer macros of C headers (`AF_INET`, `O_RDONLY`, `__NR_read`...), for
//! `#include` lines in scripts. Types come from kernel BTF, so only macros are
//! read: headers are preprocessed as clang would for the target (nested
//! `#include`/`#include_next`, `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`/`#endif`
//! with the expressions of [`super::cpp_expr`], `#define`, `#undef`), into the
//! script's macro table ([`Macros`]); declarations and anything else are skipped.
//!
//! Headers are searched where bpftrace's clang looks: the running kernel's header
//! tree first (when installed, see [`kernel_include_dirs`]), then the `-I`
//! directories, then the system include directories.

use super::cpp::{self, Conds, Macros, Origin};
use super::cpp_expr;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Default header directories, after the `-I` ones.
const SYSTEM_DIRS: &[&str] = &[
    "/usr/local/include",
    "/usr/include/x86_64-linux-gnu",
    "/usr/include/aarch64-linux-gnu",
    "/usr/include",
];

/// The top-level directories of the kernel's `include/` trees (`include/`,
/// `include/uapi/`, `arch/*/include/`): headers under them come from the kernel.
const KERNEL_TOP_DIRS: &[&str] = &[
    "acpi",
    "asm",
    "asm-generic",
    "clocksource",
    "crypto",
    "cxl",
    "drm",
    "dt-bindings",
    "generated",
    "keys",
    "kunit",
    "kvm",
    "linux",
    "math-emu",
    "media",
    "memory",
    "misc",
    "mtd",
    "net",
    "pcmcia",
    "ras",
    "rdma",
    "rv",
    "scsi",
    "soc",
    "sound",
    "target",
    "trace",
    "uapi",
    "ufs",
    "vdso",
    "video",
    "xen",
];

/// Deepest nesting of includes followed, and most headers read per script.
const MAX_DEPTH: usize = 40;
const MAX_FILES: usize = 2000;

/// Every directory headers are searched in, in order.
pub fn search_dirs(include_dirs: &[PathBuf]) -> Vec<PathBuf> {
    let mut dirs = kernel_include_dirs().to_vec();
    dirs.extend_from_slice(include_dirs);
    dirs.extend(SYSTEM_DIRS.iter().map(PathBuf::from));
    dirs
}

/// Whether a script may include `name` although it is not found: a header of the
/// kernel's tree while the kernel's headers are not installed (bpftrace would
/// need them; tracec takes types from BTF and constants from [`super::kconsts`]).
pub fn excused_missing(name: &str) -> bool {
    kernel_include_dirs().is_empty() && is_kernel_header(name)
}

/// Whether `name` lies in the kernel's header tree (`linux/fs.h`, `net/sock.h`).
pub fn is_kernel_header(name: &str) -> bool {
    name.split_once('/')
        .is_some_and(|(top, rest)| !rest.is_empty() && KERNEL_TOP_DIRS.contains(&top))
}

/// Reads headers into the script's macros.
pub struct Headers<'a> {
    dirs: Vec<PathBuf>,
    seen: HashSet<PathBuf>,
    macros: &'a mut Macros,
}

impl<'a> Headers<'a> {
    pub fn new(include_dirs: &[PathBuf], macros: &'a mut Macros) -> Headers<'a> {
        Headers {
            dirs: search_dirs(include_dirs),
            seen: HashSet::new(),
            macros,
        }
    }

    /// Find header `name` (as in `<name>`); `Err` says where it was looked for.
    pub fn find(&self, name: &str, from: Option<&Path>) -> Result<PathBuf, String> {
        let local = from.and_then(Path::parent).map(|d| d.join(name));
        local
            .into_iter()
            .chain(self.dirs.iter().map(|d| d.join(name)))
            .find(|p| p.is_file())
            .ok_or_else(|| {
                let dirs: Vec<String> = self.dirs.iter().map(|d| d.display().to_string()).collect();
                format!("header '{name}' not found (searched {})", dirs.join(", "))
            })
    }

    /// `#include_next <name>` from `from`: the search continues after the
    /// directory `from` was found in.
    fn find_next(&self, name: &str, from: &Path) -> Option<PathBuf> {
        let after = self
            .dirs
            .iter()
            .position(|d| from.strip_prefix(d).is_ok_and(|r| r.ends_with(name)))?;
        self.dirs[after + 1..]
            .iter()
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    }

    /// Preprocess header `path` and everything it includes into the macros.
    pub fn include(&mut self, path: &Path) {
        self.read(path, 0);
    }

    fn read(&mut self, path: &Path, depth: usize) {
        if depth > MAX_DEPTH || self.seen.len() >= MAX_FILES || !self.seen.insert(path.into()) {
            return;
        }
        let Ok(bytes) = std::fs::read(path) else {
            return;
        };
        self.read_text(&String::from_utf8_lossy(&bytes), path, depth);
    }

    /// Preprocess `text` as the contents of header `path` (its `#include "..."`
    /// lines are searched next to `path`) into the macros.
    pub fn include_text(&mut self, text: &str, path: &Path) {
        self.seen.insert(path.into());
        self.read_text(text, path, 0);
    }

    fn read_text(&mut self, text: &str, path: &Path, depth: usize) {
        let mut conds = Conds::<()>::new();
        for line in logical_lines(text) {
            let Some(rest) = line.trim_start().strip_prefix('#') else {
                continue;
            };
            let body = rest.trim_start();
            let len = body
                .find(|c: char| !c.is_ascii_alphanumeric() && c != '_')
                .unwrap_or(body.len());
            let (name, rest) = body.split_at(len);
            let active = conds.active();
            // Misplaced #elif/#else/#endif are clang's errors; here they are skipped.
            let _ = match name {
                "ifdef" | "ifndef" => {
                    let defined = self.macros.contains(rest.trim());
                    conds.push(defined == (name == "ifdef"), ());
                    Ok(())
                }
                "if" => {
                    let yes = active && self.eval(rest);
                    conds.push(yes, ());
                    Ok(())
                }
                "elif" => {
                    let yes = conds.elif_needs_eval() && self.eval(rest);
                    conds.elif(yes)
                }
                "elifdef" | "elifndef" => {
                    let defined = self.macros.contains(rest.trim());
                    conds.elif(conds.elif_needs_eval() && defined == (name == "elifdef"))
                }
                "else" => conds.else_(),
                "endif" => conds.endif(),
                _ if !active => Ok(()),
                "include" | "include_next" => {
                    let found = include_target(rest).and_then(|h| match name {
                        "include" => self.find(&h, Some(path)).ok(),
                        _ => self.find_next(&h, path),
                    });
                    if let Some(p) = found {
                        self.read(&p, depth + 1);
                    }
                    Ok(())
                }
                "define" => {
                    if let Some((n, m)) = cpp::parse_define(rest) {
                        self.macros.define(n, m, Origin::Header);
                    }
                    Ok(())
                }
                "undef" => {
                    self.macros.undef(rest.trim());
                    Ok(())
                }
                _ => Ok(()),
            };
        }
    }

    /// An `#if` condition in a header (an invalid one is false, as clang's error
    /// would leave nothing defined).
    fn eval(&self, expr: &str) -> bool {
        cpp_expr::eval_if(expr, &*self.macros).is_ok_and(|v| v != 0)
    }
}

/// The running kernel's header directories, found once per process: bpftrace's
/// `$BPFTRACE_KERNEL_SOURCE` / `$BPFTRACE_KERNEL_BUILD`, else
/// `/lib/modules/$(uname -r)/source` and `build` (either standing in for the
/// other), else `/usr/src/linux-headers-$(uname -r)`; empty when none exists.
pub fn kernel_include_dirs() -> &'static [PathBuf] {
    static DIRS: OnceLock<Vec<PathBuf>> = OnceLock::new();
    DIRS.get_or_init(|| {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let env = |k: &str| std::env::var_os(k).map(PathBuf::from);
        let src = env("BPFTRACE_KERNEL_SOURCE");
        let build = env("BPFTRACE_KERNEL_BUILD");
        kernel_dirs(Path::new("/"), release.trim(), src, build)
            .map(|(s, o)| kernel_cflag_dirs(&s, &o, kernel_arch()))
            .unwrap_or_default()
    })
}

/// The kernel's name for the target architecture's directory under `arch/`.
fn kernel_arch() -> &'static str {
    if cfg!(target_arch = "aarch64") {
        "arm64"
    } else {
        "x86"
    }
}

/// The kernel source and build directories (`ksrc`, `kobj`) under `root`.
fn kernel_dirs(
    root: &Path,
    release: &str,
    env_src: Option<PathBuf>,
    env_build: Option<PathBuf>,
) -> Option<(PathBuf, PathBuf)> {
    if let Some(src) = env_src {
        let build = env_build.unwrap_or_else(|| src.clone());
        return Some((src, build));
    }
    if release.is_empty() || release.contains('/') {
        return None;
    }
    let modules = root.join("lib/modules").join(release);
    let (src, build) = (modules.join("source"), modules.join("build"));
    match (src.is_dir(), build.is_dir()) {
        (true, true) => Some((src, build)),
        (true, false) => Some((src.clone(), src)),
        (false, true) => Some((build.clone(), build)),
        (false, false) => {
            let usr = root
                .join("usr/src")
                .join(format!("linux-headers-{release}"));
            usr.is_dir().then(|| (usr.clone(), usr))
        }
    }
}

/// The include directories of a kernel build (the kernel Makefile's
/// `LINUXINCLUDE` and `USERINCLUDE`), in bpftrace's order.
fn kernel_cflag_dirs(src: &Path, obj: &Path, arch: &str) -> Vec<PathBuf> {
    let a = format!("arch/{arch}");
    vec![
        src.join(&a).join("include"),
        obj.join(&a).join("include/generated"),
        src.join("include"),
        obj.join("include"),
        src.join(&a).join("include/uapi"),
        obj.join(&a).join("include/generated/uapi"),
        src.join("include/uapi"),
        obj.join("include/generated/uapi"),
    ]
}

/// Lines with backslash-newline continuations joined and comments removed.
pub fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_comment = false;
    for raw in text.lines() {
        let mut line = String::new();
        let b = raw.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if in_comment {
                // Byte steps inside comments may stop inside a character.
                if b[i..].starts_with(b"*/") {
                    in_comment = false;
                    i += 2;
                } else {
                    i += 1;
                }
                continue;
            }
            if b[i..].starts_with(b"/*") {
                in_comment = true;
                line.push(' ');
                i += 2;
            } else if b[i..].starts_with(b"//") {
                break;
            } else {
                let ch = raw[i..].chars().next().unwrap_or(' ');
                line.push(ch);
                i += ch.len_utf8();
            }
        }
        if let Some(stripped) = line.strip_suffix('\\') {
            cur.push_str(stripped);
            cur.push(' ');
            continue;
        }
        cur.push_str(&line);
        out.push(std::mem::take(&mut cur));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `<name>` or `"name"` after `#include`.
pub fn include_target(rest: &str) -> Option<String> {
    let r = rest.trim();
    let (open, close) = match r.chars().next()? {
        '<' => ('<', '>'),
        '"' => ('"', '"'),
        _ => return None,
    };
    let inner = r.strip_prefix(open)?;
    let end = inner.find(close)?;
    let name = &inner[..end];
    (!name.is_empty()).then(|| name.to_string())
}

/// `NAME VALUE` of an object-like `#define` (not `NAME(args)`).
pub fn object_define(rest: &str) -> Option<(String, String)> {
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let r = rest.trim_start();
    let end = r
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(r.len());
    let name = &r[..end];
    if !is_ident(name) || r[end..].starts_with('(') {
        return None;
    }
    Some((name.to_string(), r[end..].trim().to_string()))
}

pub fn is_ident(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|ch| ch.is_ascii_alphanumeric() || ch == '_')
}

/// `v` as a script integer literal, if it is a plain C integer constant
/// (optionally negative, parenthesized, with `U`/`L` suffixes).
pub fn numeric(v: &str) -> Option<String> {
    let mut s = v.trim();
    while let Some(inner) = s.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        s = inner.trim();
    }
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b.trim_start()),
        None => (false, s),
    };
    let body = body.trim_end_matches(['u', 'U', 'l', 'L']);
    let value: i128 = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i128::from_str_radix(h, 16).ok()?
    } else if body.len() > 1 && body.starts_with('0') {
        i128::from_str_radix(&body[1..], 8).ok()?
    } else {
        body.parse().ok()?
    };
    let value = if neg { -value } else { value };
    if value < i64::MIN as i128 || value > u64::MAX as i128 {
        return None;
    }
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants() {
        assert_eq!(numeric("2").as_deref(), Some("2"));
        assert_eq!(numeric("(0x10)").as_deref(), Some("16"));
        assert_eq!(numeric("010").as_deref(), Some("8"));
        assert_eq!(numeric("-1").as_deref(), Some("-1"));
        assert_eq!(numeric("100UL").as_deref(), Some("100"));
        assert_eq!(numeric("PF_INET"), None);
        assert_eq!(numeric("(1 << 3)"), None);
    }

    #[test]
    fn define_lines() {
        assert_eq!(
            object_define(" AF_INET\tPF_INET"),
            Some(("AF_INET".into(), "PF_INET".into()))
        );
        assert_eq!(object_define(" F(x) x"), None);
        assert_eq!(
            include_target(" <linux/sched.h>").as_deref(),
            Some("linux/sched.h")
        );
        assert_eq!(include_target(" \"a.h\" // c").as_deref(), Some("a.h"));
        let lines = logical_lines("#define A \\\n 1 /* one */\nx");
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["#define", "A", "1"]
        );
    }

    #[test]
    fn kernel_header_trees() {
        let root = std::env::temp_dir().join(format!("tracec-kdirs-{}", std::process::id()));
        let modules = root.join("lib/modules/6.1.0-test");
        assert_eq!(kernel_dirs(&root, "6.1.0-test", None, None), None);
        let usr = root.join("usr/src/linux-headers-6.1.0-test");
        std::fs::create_dir_all(&usr).unwrap();
        assert_eq!(
            kernel_dirs(&root, "6.1.0-test", None, None),
            Some((usr.clone(), usr))
        );
        std::fs::create_dir_all(modules.join("build")).unwrap();
        let build = modules.join("build");
        assert_eq!(
            kernel_dirs(&root, "6.1.0-test", None, None),
            Some((build.clone(), build.clone()))
        );
        std::fs::create_dir_all(modules.join("source")).unwrap();
        assert_eq!(
            kernel_dirs(&root, "6.1.0-test", None, None),
            Some((modules.join("source"), build))
        );
        let env = PathBuf::from("/opt/linux");
        assert_eq!(
            kernel_dirs(&root, "6.1.0-test", Some(env.clone()), None),
            Some((env.clone(), env))
        );
        assert_eq!(kernel_dirs(&root, "../x", None, None), None);
        std::fs::remove_dir_all(&root).unwrap();
        let dirs = kernel_cflag_dirs(Path::new("/s"), Path::new("/o"), "x86");
        assert_eq!(dirs[0], PathBuf::from("/s/arch/x86/include"));
        assert_eq!(dirs[1], PathBuf::from("/o/arch/x86/include/generated"));
        assert_eq!(dirs[6], PathBuf::from("/s/include/uapi"));
        assert_eq!(dirs.len(), 8);
    }

    #[test]
    fn follows_includes_and_aliases() {
        let dir = std::env::temp_dir().join(format!("tracec-headers-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sys")).unwrap();
        std::fs::write(
            dir.join("top.h"),
            "#include <sys/inner.h>\n#define AF_INET PF_INET\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("sys/inner.h"),
            "#define PF_INET 2\n#define F(x) x\n",
        )
        .unwrap();
        let mut macros = Macros::predefined(false);
        let mut h = Headers::new(std::slice::from_ref(&dir), &mut macros);
        let p = h.find("top.h", None).unwrap();
        h.include(&p);
        assert_eq!(macros.value("AF_INET").as_deref(), Some("2"));
        assert_eq!(macros.value("PF_INET").as_deref(), Some("2"));
        assert_eq!(macros.value("F"), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn non_ascii_in_comments() {
        let lines = logical_lines("/* © Ünïcødé\n ☃ */#define A 1 // é\n/* ☃");
        assert_eq!(lines[1].trim(), "#define A 1");
        let mut macros = Macros::predefined(false);
        let text = "/*\u{e9}\u{2603} */\n#define B /* ü */ 2\n";
        Headers::new(&[], &mut macros).include_text(text, Path::new("/nonexistent/x.h"));
        assert_eq!(macros.value("B").as_deref(), Some("2"));
    }

    #[test]
    fn include_cycles_end() {
        let dir = std::env::temp_dir().join(format!("tracec-hcycle-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.h"), "#include \"b.h\"\n#define A 1\n").unwrap();
        std::fs::write(dir.join("b.h"), "#include <a.h>\n#define B 2\n").unwrap();
        std::fs::write(dir.join("self.h"), "#include \"self.h\"\n#define S 3\n").unwrap();
        let mut macros = Macros::predefined(false);
        let mut h = Headers::new(std::slice::from_ref(&dir), &mut macros);
        for name in ["a.h", "self.h"] {
            let p = h.find(name, None).unwrap();
            h.include(&p);
        }
        assert_eq!(macros.value("A").as_deref(), Some("1"));
        assert_eq!(macros.value("B").as_deref(), Some("2"));
        assert_eq!(macros.value("S").as_deref(), Some("3"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
