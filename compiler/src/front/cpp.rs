//! What the script preprocessor ([`super::preprocess`]) and the header reader
//! ([`super::headers`]) share: the macro table with the target's predefined macros,
//! `#define` lines, and the stack of conditionals.

use super::cpp_expr::{Macro, MacroEnv};
use super::headers;
use std::collections::HashMap;

/// Where a macro was defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// By the compiler (`__x86_64__`): visible to `#if` only.
    Predefined,
    /// By the script: its text replaces the name in the script.
    Script,
    /// By a header (or `BPFTRACE_HAVE_BTF`): replaces the name in the script when
    /// its value is an integer constant.
    Header,
}

/// The macros in scope.
#[derive(Debug, Clone)]
pub struct Macros {
    map: HashMap<String, (Macro, Origin)>,
    /// Header lookups for `__has_include`.
    include_dirs: Vec<std::path::PathBuf>,
}

impl MacroEnv for Macros {
    fn macro_def(&self, name: &str) -> Option<&Macro> {
        self.map.get(name).map(|(m, _)| m)
    }
    fn has_include(&self, name: &str) -> bool {
        self.include_dirs.iter().any(|d| d.join(name).is_file())
    }
}

impl Macros {
    /// The predefined macros of the target, as clang defines them when bpftrace
    /// compiles a script's C definitions for the host (`kernel_headers`: bpftrace
    /// found the kernel's header tree and passes its kernel cflags, `__KERNEL__`...).
    pub fn predefined(kernel_headers: bool) -> Macros {
        let mut m = Macros {
            map: HashMap::new(),
            include_dirs: Vec::new(),
        };
        let common: &[(&str, &str)] = &[
            ("__linux__", "1"),
            ("__linux", "1"),
            ("__gnu_linux__", "1"),
            ("__unix__", "1"),
            ("__unix", "1"),
            ("__ELF__", "1"),
            ("__LP64__", "1"),
            ("_LP64", "1"),
            ("__GNUC__", "4"),
            ("__GNUC_MINOR__", "2"),
            ("__GNUC_PATCHLEVEL__", "1"),
            ("__GNUC_STDC_INLINE__", "1"),
            ("__clang__", "1"),
            ("__clang_major__", "18"),
            ("__clang_minor__", "1"),
            ("__clang_patchlevel__", "0"),
            ("__STDC__", "1"),
            ("__STDC_HOSTED__", "1"),
            ("__STDC_VERSION__", "201710L"),
            ("__NO_INLINE__", "1"),
            ("__CHAR_BIT__", "8"),
            ("__SIZEOF_SHORT__", "2"),
            ("__SIZEOF_INT__", "4"),
            ("__SIZEOF_LONG__", "8"),
            ("__SIZEOF_LONG_LONG__", "8"),
            ("__SIZEOF_POINTER__", "8"),
            ("__SIZEOF_SIZE_T__", "8"),
            ("__SIZEOF_WCHAR_T__", "4"),
            ("__SIZEOF_FLOAT__", "4"),
            ("__SIZEOF_DOUBLE__", "8"),
            ("__SIZEOF_INT128__", "16"),
            ("__SCHAR_MAX__", "127"),
            ("__SHRT_MAX__", "32767"),
            ("__INT_MAX__", "2147483647"),
            ("__LONG_MAX__", "9223372036854775807L"),
            ("__LONG_LONG_MAX__", "9223372036854775807LL"),
            ("__WCHAR_MAX__", "2147483647"),
            ("__ORDER_LITTLE_ENDIAN__", "1234"),
            ("__ORDER_BIG_ENDIAN__", "4321"),
            ("__ORDER_PDP_ENDIAN__", "3412"),
            ("__BYTE_ORDER__", "__ORDER_LITTLE_ENDIAN__"),
            ("__LITTLE_ENDIAN__", "1"),
            ("BPFTRACE_HAVE_BTF", "1"),
            ("_LINUX_TYPES_H", "1"),
        ];
        let arch: &[(&str, &str)] = if cfg!(target_arch = "aarch64") {
            &[
                ("__aarch64__", "1"),
                ("__AARCH64EL__", "1"),
                ("__ARM_64BIT_STATE", "1"),
                ("__ARM_ARCH", "8"),
                ("__CHAR_UNSIGNED__", "1"),
            ]
        } else {
            &[
                ("__x86_64__", "1"),
                ("__x86_64", "1"),
                ("__amd64__", "1"),
                ("__amd64", "1"),
                ("__MMX__", "1"),
                ("__SSE__", "1"),
                ("__SSE2__", "1"),
                ("__SSE_MATH__", "1"),
                ("__SSE2_MATH__", "1"),
            ]
        };
        let kernel: &[(&str, &str)] = &[
            ("__KERNEL__", "1"),
            ("__BPF_TRACING__", "1"),
            ("__HAVE_BUILTIN_BSWAP16__", "1"),
            ("__HAVE_BUILTIN_BSWAP32__", "1"),
            ("__HAVE_BUILTIN_BSWAP64__", "1"),
        ];
        let kernel = if kernel_headers { kernel } else { &[] };
        for (n, v) in common.iter().chain(arch).chain(kernel) {
            let origin = if *n == "BPFTRACE_HAVE_BTF" {
                Origin::Header
            } else {
                Origin::Predefined
            };
            m.map
                .insert(n.to_string(), (Macro::Object(v.to_string()), origin));
        }
        m
    }

    /// Where `__has_include` looks.
    pub fn set_include_dirs(&mut self, dirs: Vec<std::path::PathBuf>) {
        self.include_dirs = dirs;
    }

    pub fn contains(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    pub fn define(&mut self, name: String, m: Macro, origin: Origin) {
        self.map.insert(name, (m, origin));
    }

    pub fn undef(&mut self, name: &str) {
        self.map.remove(name);
    }

    /// What replaces `name` in script code: a script macro's text, or a header
    /// macro's integer value.
    pub fn substitution(&self, name: &str) -> Option<String> {
        match self.map.get(name)? {
            (Macro::Object(v), Origin::Script) => Some(v.clone()),
            (Macro::Object(v), Origin::Header) => self.value_text(v),
            _ => None,
        }
    }

    /// The integer value of a header macro body as script text (`(0x10)` is `16`,
    /// `(1 << 3)` is `8`, `PF_INET` is PF_INET's value); `None` when it is no
    /// integer constant expression.
    fn value_text(&self, body: &str) -> Option<String> {
        headers::numeric(body)
            .or_else(|| super::cpp_expr::eval_strict(body, self).map(|v| v.to_string()))
    }

    /// Names and values of the object-like macros with an integer value (tests).
    #[cfg(test)]
    pub fn value(&self, name: &str) -> Option<String> {
        match self.map.get(name)? {
            (Macro::Object(v), _) => self.value_text(v),
            _ => None,
        }
    }
}

/// A `#define` line's name and macro (after `define`); `None` when malformed.
pub fn parse_define(rest: &str) -> Option<(String, Macro)> {
    if let Some((name, value)) = headers::object_define(rest) {
        return Some((name, Macro::Object(value)));
    }
    let r = rest.trim_start();
    let open = r.find('(')?;
    let name = &r[..open];
    if !headers::is_ident(name) {
        return None;
    }
    let close = r[open..].find(')')? + open;
    let params: Vec<String> = r[open + 1..close]
        .split(',')
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect();
    if !params.iter().all(|p| p == "..." || headers::is_ident(p)) {
        return None;
    }
    let body = r[close + 1..].trim().to_string();
    Some((name.to_string(), Macro::Function { params, body }))
}

/// One open `#if`.
#[derive(Debug, Clone, Copy)]
struct Cond<S> {
    /// Whether the enclosing region is active.
    parent: bool,
    /// Whether some branch was taken.
    taken: bool,
    /// Whether the current branch is active.
    active: bool,
    seen_else: bool,
    /// Where the `#if` is (for "unterminated" errors).
    at: S,
}

/// The open conditionals; `S` locates an `#if` for errors.
#[derive(Debug, Default)]
pub struct Conds<S> {
    stack: Vec<Cond<S>>,
}

/// A misplaced `#elif`/`#else`/`#endif`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CondError(pub &'static str);

impl<S: Copy> Conds<S> {
    pub fn new() -> Conds<S> {
        Conds { stack: Vec::new() }
    }

    /// Whether lines here are active.
    pub fn active(&self) -> bool {
        self.stack.last().is_none_or(|c| c.active)
    }

    /// `#if`/`#ifdef`/`#ifndef`; `yes` is its condition (ignored when inactive).
    pub fn push(&mut self, yes: bool, at: S) {
        let parent = self.active();
        self.stack.push(Cond {
            parent,
            taken: parent && yes,
            active: parent && yes,
            seen_else: false,
            at,
        });
    }

    /// Whether an `#elif` here must evaluate its condition.
    pub fn elif_needs_eval(&self) -> bool {
        self.stack.last().is_some_and(|c| c.parent && !c.taken)
    }

    /// `#elif` with its condition's value (`false` if not evaluated).
    pub fn elif(&mut self, yes: bool) -> Result<(), CondError> {
        let c = self
            .stack
            .last_mut()
            .ok_or(CondError("#elif without #if"))?;
        if c.seen_else {
            return Err(CondError("#elif after #else"));
        }
        c.active = c.parent && !c.taken && yes;
        c.taken |= c.active;
        Ok(())
    }

    pub fn else_(&mut self) -> Result<(), CondError> {
        match self.stack.last_mut() {
            Some(c) if !c.seen_else => {
                c.active = c.parent && !c.taken;
                c.taken = true;
                c.seen_else = true;
                Ok(())
            }
            Some(_) => Err(CondError("#else after #else")),
            None => Err(CondError("#else without #if")),
        }
    }

    pub fn endif(&mut self) -> Result<(), CondError> {
        self.stack
            .pop()
            .map(|_| ())
            .ok_or(CondError("#endif without #if"))
    }

    /// The innermost `#if` still open at the end of the file.
    pub fn unterminated(&self) -> Option<S> {
        self.stack.last().map(|c| c.at)
    }
}
