//! A compact demangler for Itanium C++ ABI symbol names (`_ZN5MyApp6Server3runEi` to
//! `MyApp::Server::run(int)`), printed as GNU's `__cxa_demangle`/`c++filt` print them
//! (`char const*`, `> >`). `tracec` matches `uprobe:BIN:cpp:NAME` against demangled
//! names and lists them; `tracerun` names C++ frames in `ustack`/`usym` with them, as
//! bpftrace does by default (`cpp_demangle`). It covers what compilers emit for
//! functions (nested and local names, templates, substitutions, operators,
//! constructors, ABI tags, clones, thunks and guard variables); a name using
//! anything else (expressions in template arguments, decltype) is not demangled:
//! [`demangle`] returns `None` and the mangled name stays.

/// The demangled form of `mangled`, or `None` when it is no Itanium C++ name or uses
/// constructs this demangler does not cover.
pub fn demangle(mangled: &str) -> Option<String> {
    let rest = mangled.strip_prefix("_Z")?;
    // Clone suffixes (`.cold`, `.isra.0`, `.constprop.1`) follow the encoding.
    let (body, clones) = match rest.find('.') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut p = Parser {
        s: body.as_bytes(),
        i: 0,
        subs: Vec::new(),
        targs: Vec::new(),
        depth: 0,
    };
    let mut out = p.special_or_encoding()?;
    if p.i != p.s.len() {
        return None;
    }
    let mut parts = clones.split('.').skip(1).peekable();
    while let Some(part) = parts.next() {
        // `.isra.0`: a name and its number make one clone.
        let mut clone = format!(".{part}");
        while let Some(n) = parts
            .peek()
            .filter(|n| n.bytes().all(|b| b.is_ascii_digit()))
        {
            clone.push('.');
            clone.push_str(n);
            parts.next();
        }
        out.push_str(&format!(" [clone {clone}]"));
    }
    Some(out)
}

/// Nesting bound: malformed or hostile names fail instead of overflowing the stack.
const MAX_DEPTH: u32 = 128;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    /// Substitution candidates (`S_`, `S0_`, ...).
    subs: Vec<String>,
    /// The template arguments `T_`, `T0_`, ... refer to, each a list of types (more
    /// or fewer than one for an argument pack).
    targs: Vec<Vec<String>>,
    depth: u32,
}

/// What a parsed name tells the encoding about printing it.
#[derive(Default)]
struct NameInfo {
    /// Ends with template arguments (the function type then starts with the return type).
    template: bool,
    /// A constructor, destructor or conversion operator (no return type printed).
    no_return: bool,
    /// Method qualifiers (` const`, ` &`) printed after the parameters.
    quals: String,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn peek_at(&self, n: usize) -> Option<u8> {
        self.s.get(self.i + n).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        let ok = self.peek() == Some(b);
        if ok {
            self.i += 1;
        }
        ok
    }

    fn eat_str(&mut self, s: &str) -> bool {
        let ok = self.s[self.i..].starts_with(s.as_bytes());
        if ok {
            self.i += s.len();
        }
        ok
    }

    fn enter(&mut self) -> Option<()> {
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    fn number(&mut self) -> Option<usize> {
        let start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .parse()
            .ok()
    }

    /// `_` (0) or `<base-36 number>_` (n + 1), as in `S0_` and `T0_`.
    fn seq_id(&mut self) -> Option<usize> {
        if self.eat(b'_') {
            return Some(0);
        }
        let mut n = 0usize;
        loop {
            let b = self.peek()?;
            self.i += 1;
            let d = match b {
                b'0'..=b'9' => b - b'0',
                b'A'..=b'Z' => b - b'A' + 10,
                b'_' => return n.checked_add(1),
                _ => return None,
            };
            n = n.checked_mul(36)?.checked_add(usize::from(d))?;
        }
    }

    fn special_or_encoding(&mut self) -> Option<String> {
        if self.eat_str("TV") {
            return Some(format!("vtable for {}", self.ty()?));
        }
        if self.eat_str("TT") {
            return Some(format!("VTT for {}", self.ty()?));
        }
        if self.eat_str("TI") {
            return Some(format!("typeinfo for {}", self.ty()?));
        }
        if self.eat_str("TS") {
            return Some(format!("typeinfo name for {}", self.ty()?));
        }
        if self.eat_str("GTt") {
            return Some(format!("transaction clone for {}", self.encoding()?));
        }
        if self.eat_str("GV") {
            return Some(format!("guard variable for {}", self.name()?.0));
        }
        if self.eat_str("Th") {
            self.offset_number()?;
            self.eat(b'_').then_some(())?;
            return Some(format!("non-virtual thunk to {}", self.encoding()?));
        }
        if self.eat_str("Tv") {
            self.offset_number()?;
            self.eat(b'_').then_some(())?;
            self.offset_number()?;
            self.eat(b'_').then_some(())?;
            return Some(format!("virtual thunk to {}", self.encoding()?));
        }
        self.encoding()
    }

    /// A call offset's `[n]<number>`.
    fn offset_number(&mut self) -> Option<()> {
        self.eat(b'n');
        self.number().map(drop)
    }

    /// `<name> [<bare-function-type>]`.
    fn encoding(&mut self) -> Option<String> {
        self.enter()?;
        let (name, info) = self.name()?;
        let out = if self.i == self.s.len() || matches!(self.peek(), Some(b'E' | b'.')) {
            name
        } else {
            let ret = if info.template && !info.no_return {
                Some(self.ty()?)
            } else {
                None
            };
            let params = self.params()?;
            match ret {
                Some(r) => format!("{r} {name}({params}){}", info.quals),
                None => format!("{name}({params}){}", info.quals),
            }
        };
        self.depth -= 1;
        Some(out)
    }

    /// Parameter types up to the end or an `E`, joined; `v` alone is no parameter.
    fn params(&mut self) -> Option<String> {
        let mut v = Vec::new();
        while self.i < self.s.len() && self.peek() != Some(b'E') {
            v.push(self.ty()?);
        }
        if v.is_empty() {
            return None;
        }
        if v.len() == 1 && v[0] == "void" {
            return Some(String::new());
        }
        Some(v.join(", "))
    }

    fn name(&mut self) -> Option<(String, NameInfo)> {
        self.enter()?;
        let r = match self.peek()? {
            b'N' => self.nested(),
            b'Z' => self.local(),
            _ => {
                let is_std = self.eat_str("St");
                let (mut n, mut info) = if self.peek() == Some(b'S') {
                    (self.substitution()?, NameInfo::default())
                } else {
                    let (n, no_return) = self.unqualified("")?;
                    let n = if is_std { format!("std::{n}") } else { n };
                    (
                        n,
                        NameInfo {
                            no_return,
                            ..NameInfo::default()
                        },
                    )
                };
                if self.peek() == Some(b'I') {
                    self.subs.push(n.clone());
                    let args = self.template_args(true)?;
                    if n.ends_with('<') {
                        n.push(' ');
                    }
                    n.push_str(&args);
                    info.template = true;
                }
                Some((n, info))
            }
        };
        self.depth -= 1;
        r
    }

    /// `N [CV] [ref] <prefix components> E`.
    fn nested(&mut self) -> Option<(String, NameInfo)> {
        self.eat(b'N').then_some(())?;
        let mut info = NameInfo::default();
        if self.eat(b'r') {
            info.quals.push_str(" restrict");
        }
        if self.eat(b'V') {
            info.quals.push_str(" volatile");
        }
        if self.eat(b'K') {
            info.quals.push_str(" const");
        }
        if self.eat(b'R') {
            info.quals.push_str(" &");
        } else if self.eat(b'O') {
            info.quals.push_str(" &&");
        }
        let mut cur = String::new();
        // The last component's bare name (constructors repeat it).
        let mut last = String::new();
        loop {
            match self.peek()? {
                b'E' => {
                    self.i += 1;
                    break;
                }
                b'I' => {
                    if cur.is_empty() {
                        return None;
                    }
                    let args = self.template_args(true)?;
                    if cur.ends_with('<') {
                        cur.push(' ');
                    }
                    cur.push_str(&args);
                    info.template = true;
                }
                b'S' if self.peek_at(1) != Some(b't') => {
                    if !cur.is_empty() {
                        return None;
                    }
                    // Before a constructor or destructor an abbreviation is spelled
                    // out (`std::basic_istream<char, ...>::basic_istream()`).
                    let ctor = matches!(self.peek_at(2), Some(b'C' | b'D'));
                    let full = ctor.then(|| self.peek_at(1).and_then(full_expansion));
                    if let Some(Some((full, base))) = full {
                        self.i += 2;
                        cur = full.to_string();
                        last = base.to_string();
                        info.template = false;
                        continue;
                    }
                    cur = self.substitution()?;
                    last = cur.rsplit("::").next().unwrap_or(&cur).to_string();
                    info.template = false;
                    continue;
                }
                b'T' => {
                    if !cur.is_empty() {
                        return None;
                    }
                    cur = self.template_param()?;
                    info.template = false;
                }
                _ => {
                    let std = cur.is_empty() && self.eat_str("St");
                    let base = strip_template_args(&last);
                    let base = base.split('[').next().unwrap_or(base).to_string();
                    let (n, no_return) = self.unqualified(&base)?;
                    info.no_return = no_return;
                    info.template = false;
                    last = n.clone();
                    cur = match (cur.is_empty(), std) {
                        (true, true) => format!("std::{n}"),
                        (true, false) => n,
                        (false, _) => format!("{cur}::{n}"),
                    };
                }
            }
            // Every prefix but the whole name is a substitution candidate.
            if self.peek() != Some(b'E') {
                self.subs.push(cur.clone());
            }
        }
        Some((cur, info))
    }

    /// `Z <encoding> E <name> [<discriminator>]` or `Z <encoding> E s`.
    fn local(&mut self) -> Option<(String, NameInfo)> {
        self.eat(b'Z').then_some(())?;
        let outer = self.encoding()?;
        self.eat(b'E').then_some(())?;
        if self.eat(b's') {
            self.discriminator();
            return Some((format!("{outer}::string literal"), NameInfo::default()));
        }
        let (inner, info) = self.name()?;
        self.discriminator();
        Some((format!("{outer}::{inner}"), info))
    }

    fn discriminator(&mut self) {
        if self.eat(b'_') {
            if self.eat(b'_') {
                let _ = self.number();
                self.eat(b'_');
            } else {
                let _ = self.number();
            }
        }
    }

    /// A source name, operator, constructor/destructor (named after `class`),
    /// internal-linkage `L` name or unnamed type, with any ABI tags. The flag is true
    /// for constructors, destructors and conversion operators.
    fn unqualified(&mut self, class: &str) -> Option<(String, bool)> {
        self.eat(b'L');
        let b = self.peek()?;
        let (mut n, special) = if b.is_ascii_digit() {
            (self.source_name()?, false)
        } else if b == b'C' && matches!(self.peek_at(1), Some(b'1'..=b'5')) {
            self.i += 2;
            (class.to_string(), true)
        } else if b == b'C' && self.peek_at(1) == Some(b'I') {
            // Inheriting constructor: `CI1 <base type>`.
            self.i += 3;
            self.ty()?;
            (class.to_string(), true)
        } else if b == b'D' && matches!(self.peek_at(1), Some(b'0'..=b'5')) {
            self.i += 2;
            (format!("~{class}"), true)
        } else if b == b'U' {
            (self.unnamed()?, false)
        } else if b.is_ascii_lowercase() {
            self.operator()?
        } else {
            return None;
        };
        while self.eat(b'B') {
            let tag = self.source_name()?;
            n.push_str(&format!("[abi:{tag}]"));
        }
        Some((n, special))
    }

    fn source_name(&mut self) -> Option<String> {
        let len = self.number()?;
        let end = self.i.checked_add(len)?;
        let id = std::str::from_utf8(self.s.get(self.i..end)?).ok()?;
        self.i = end;
        if id.starts_with("_GLOBAL__N") {
            return Some("(anonymous namespace)".to_string());
        }
        Some(id.to_string())
    }

    /// `Ut [<number>] _` (unnamed type) or `Ul <params> E [<number>] _` (lambda).
    fn unnamed(&mut self) -> Option<String> {
        if self.eat_str("Ut") {
            let n = self.number().map_or(1, |n| n + 2);
            self.eat(b'_').then_some(())?;
            return Some(format!("{{unnamed type#{n}}}"));
        }
        self.eat_str("Ul").then_some(())?;
        let params = self.params()?;
        self.eat(b'E').then_some(())?;
        let n = self.number().map_or(1, |n| n + 2);
        self.eat(b'_').then_some(())?;
        Some(format!("{{lambda({params})#{n}}}"))
    }

    /// `<operator-name>`: the name and whether it is a conversion.
    fn operator(&mut self) -> Option<(String, bool)> {
        const OPS: &[(&str, &str)] = &[
            ("nw", " new"),
            ("na", " new[]"),
            ("dl", " delete"),
            ("da", " delete[]"),
            ("ps", "+"),
            ("ng", "-"),
            ("ad", "&"),
            ("de", "*"),
            ("co", "~"),
            ("pl", "+"),
            ("mi", "-"),
            ("ml", "*"),
            ("dv", "/"),
            ("rm", "%"),
            ("an", "&"),
            ("or", "|"),
            ("eo", "^"),
            ("aS", "="),
            ("pL", "+="),
            ("mI", "-="),
            ("mL", "*="),
            ("dV", "/="),
            ("rM", "%="),
            ("aN", "&="),
            ("oR", "|="),
            ("eO", "^="),
            ("ls", "<<"),
            ("rs", ">>"),
            ("lS", "<<="),
            ("rS", ">>="),
            ("eq", "=="),
            ("ne", "!="),
            ("lt", "<"),
            ("gt", ">"),
            ("le", "<="),
            ("ge", ">="),
            ("ss", "<=>"),
            ("nt", "!"),
            ("aa", "&&"),
            ("oo", "||"),
            ("pp", "++"),
            ("mm", "--"),
            ("cm", ","),
            ("pm", "->*"),
            ("pt", "->"),
            ("cl", "()"),
            ("ix", "[]"),
            ("qu", "?"),
        ];
        let code = self.s.get(self.i..self.i + 2)?;
        if code == b"cv" {
            self.i += 2;
            return Some((format!("operator {}", self.ty()?), true));
        }
        if code == b"li" {
            self.i += 2;
            return Some((format!("operator\"\" {}", self.source_name()?), false));
        }
        let op = OPS.iter().find(|(c, _)| c.as_bytes() == code)?.1;
        self.i += 2;
        Some((format!("operator{op}"), false))
    }

    /// `I <args> E` as `<a, b>`; `set_targs` makes them what `T_` refers to.
    fn template_args(&mut self, set_targs: bool) -> Option<String> {
        self.enter()?;
        self.eat(b'I').then_some(())?;
        let mut args: Vec<Vec<String>> = Vec::new();
        while !self.eat(b'E') {
            args.push(self.template_arg()?);
        }
        let text = args
            .iter()
            .flatten()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        // GNU's space between closing brackets follows the last argument printed;
        // after an empty pack it has none.
        let empty_last = args.last().is_some_and(Vec::is_empty);
        if set_targs {
            self.targs = args;
        }
        self.depth -= 1;
        Some(if empty_last {
            format!("<{text}>")
        } else {
            angle(&text)
        })
    }

    /// One template argument: one type or value, or the elements of a pack.
    fn template_arg(&mut self) -> Option<Vec<String>> {
        match self.peek()? {
            b'L' => Some(vec![self.literal()?]),
            b'J' => {
                self.i += 1;
                let mut v = Vec::new();
                while !self.eat(b'E') {
                    v.extend(self.template_arg()?);
                }
                Some(v)
            }
            b'X' => None,
            _ => Some(vec![self.ty()?]),
        }
    }

    /// `L <type> <value> E` or `L _Z <encoding> E`.
    fn literal(&mut self) -> Option<String> {
        self.eat(b'L').then_some(())?;
        if self.eat_str("_Z") {
            let e = self.encoding()?;
            self.eat(b'E').then_some(())?;
            return Some(e);
        }
        let ty = self.ty()?;
        let neg = self.eat(b'n');
        let start = self.i;
        while self.peek().is_some_and(|b| b != b'E') {
            self.i += 1;
        }
        let digits = std::str::from_utf8(&self.s[start..self.i])
            .ok()?
            .to_string();
        self.eat(b'E').then_some(())?;
        let v = format!("{}{digits}", if neg { "-" } else { "" });
        Some(match ty.as_str() {
            "bool" if digits == "0" => "false".to_string(),
            "bool" if digits == "1" => "true".to_string(),
            "int" => v,
            "unsigned int" => format!("{v}u"),
            "long" => format!("{v}l"),
            "unsigned long" => format!("{v}ul"),
            "long long" => format!("{v}ll"),
            "unsigned long long" => format!("{v}ull"),
            _ => format!("({ty}){v}"),
        })
    }

    fn template_param(&mut self) -> Option<String> {
        self.eat(b'T').then_some(())?;
        Some(self.template_param_elems()?.join(", "))
    }

    /// The elements of the template parameter whose `T<id>_` follows `T`.
    fn template_param_elems(&mut self) -> Option<Vec<String>> {
        let n = self.seq_id()?;
        self.targs.get(n).cloned()
    }

    /// `Dp <type>`: a pack expansion. The common form `Dp [qualifiers] T<id>_`
    /// applies the qualifiers to every element of the pack.
    fn pack_expansion(&mut self) -> Option<String> {
        let start = self.i;
        let mut quals = Vec::new();
        while let Some(q @ (b'R' | b'O' | b'P' | b'K')) = self.peek() {
            quals.push(q);
            self.i += 1;
        }
        if self.eat(b'T') {
            let elems = self.template_param_elems()?;
            let out: Vec<String> = elems
                .into_iter()
                .map(|mut t| {
                    for q in quals.iter().rev() {
                        t = qualify(&t, *q);
                    }
                    t
                })
                .collect();
            let text = out.join(", ");
            self.subs.push(text.clone());
            return Some(text);
        }
        self.i = start;
        self.ty()
    }

    /// `S_`, `S<id>_` or a standard abbreviation (`St` is handled by callers).
    fn substitution(&mut self) -> Option<String> {
        self.eat(b'S').then_some(())?;
        let abbrev = match self.peek()? {
            b'a' => Some("std::allocator"),
            b'b' => Some("std::basic_string"),
            b's' => Some("std::string"),
            b'i' => Some("std::istream"),
            b'o' => Some("std::ostream"),
            b'd' => Some("std::iostream"),
            _ => None,
        };
        if let Some(a) = abbrev {
            self.i += 1;
            return Some(a.to_string());
        }
        let n = self.seq_id()?;
        self.subs.get(n).cloned()
    }

    fn ty(&mut self) -> Option<String> {
        self.enter()?;
        let r = self.ty_inner();
        self.depth -= 1;
        r
    }

    fn ty_inner(&mut self) -> Option<String> {
        let b = self.peek()?;
        if let Some(t) = builtin(b) {
            self.i += 1;
            return Some(t.to_string());
        }
        let t = match b {
            b'u' => {
                self.i += 1;
                self.source_name()?
            }
            b'D' => {
                let t = match self.peek_at(1)? {
                    b'n' => "decltype(nullptr)",
                    b'i' => "char32_t",
                    b's' => "char16_t",
                    b'u' => "char8_t",
                    b'a' => "auto",
                    b'c' => "decltype(auto)",
                    b'd' => "decimal64",
                    b'e' => "decimal128",
                    b'f' => "decimal32",
                    b'h' => "half",
                    b'p' => {
                        self.i += 2;
                        return self.pack_expansion();
                    }
                    _ => return None,
                };
                self.i += 2;
                return Some(t.to_string());
            }
            b'r' | b'V' | b'K' => {
                let mut quals = String::new();
                if self.eat(b'r') {
                    quals.push_str(" restrict");
                }
                if self.eat(b'V') {
                    quals.push_str(" volatile");
                }
                if self.eat(b'K') {
                    quals.push_str(" const");
                }
                if self.peek() == Some(b'F') {
                    // A qualified function type (of a member pointer): ` const` after it.
                    let f = self.function_type("")?;
                    format!("{f}{quals}")
                } else {
                    format!("{}{quals}", self.ty()?)
                }
            }
            b'P' | b'R' | b'O' => {
                self.i += 1;
                let sigil = match b {
                    b'P' => "*",
                    b'R' => "&",
                    _ => "&&",
                };
                if self.peek() == Some(b'F') {
                    self.function_type(&format!("({sigil})"))?
                } else {
                    let inner = self.ty()?;
                    qualify(&inner, b)
                }
            }
            b'F' => self.function_type("")?,
            b'A' => {
                self.i += 1;
                let n = self.number().map(|n| n.to_string()).unwrap_or_default();
                self.eat(b'_').then_some(())?;
                format!("{} [{n}]", self.ty()?)
            }
            b'M' => {
                self.i += 1;
                let class = self.ty()?;
                let start = self.i;
                let mut quals = String::new();
                while let Some(q @ (b'r' | b'V' | b'K')) = self.peek() {
                    quals.push_str(match q {
                        b'r' => " restrict",
                        b'V' => " volatile",
                        _ => " const",
                    });
                    self.i += 1;
                }
                if self.peek() == Some(b'F') {
                    let f = self.function_type(&format!("({class}::*)"))?;
                    format!("{f}{quals}")
                } else {
                    self.i = start;
                    format!("{} {class}::*", self.ty()?)
                }
            }
            b'T' => {
                let mut t = self.template_param()?;
                if self.peek() == Some(b'I') {
                    self.subs.push(t.clone());
                    t.push_str(&self.template_args(false)?);
                }
                t
            }
            b'S' if self.peek_at(1) != Some(b't') => {
                let mut t = self.substitution()?;
                if self.peek() != Some(b'I') {
                    // A plain substitution is no new candidate.
                    return Some(t);
                }
                t.push_str(&self.template_args(false)?);
                t
            }
            _ => self.class_type()?,
        };
        self.subs.push(t.clone());
        Some(t)
    }

    /// A class or enum type by name (`N...E`, `St...`, a source name), with template
    /// arguments, which do not change what `T_` refers to.
    fn class_type(&mut self) -> Option<String> {
        let saved = self.targs.clone();
        let (n, _) = self.name()?;
        self.targs = saved;
        Some(n)
    }

    /// `F [Y] <return> <params> [R|O] E`, with `inner` (`(*)`, `(Class::*)`) between
    /// the return type and the parameters.
    fn function_type(&mut self, inner: &str) -> Option<String> {
        self.eat(b'F').then_some(())?;
        self.eat(b'Y');
        let ret = self.ty()?;
        let params = self.params()?;
        let refq = if self.eat(b'R') {
            " &"
        } else if self.eat(b'O') {
            " &&"
        } else {
            ""
        };
        self.eat(b'E').then_some(())?;
        Some(format!("{ret} {inner}({params}){refq}"))
    }
}

/// A standard abbreviation (`Ss`, ...) spelled out, and its class's bare name.
fn full_expansion(code: u8) -> Option<(&'static str, &'static str)> {
    Some(match code {
        b'a' => ("std::allocator", "allocator"),
        b'b' => ("std::basic_string", "basic_string"),
        b's' => (
            "std::basic_string<char, std::char_traits<char>, std::allocator<char> >",
            "basic_string",
        ),
        b'i' => (
            "std::basic_istream<char, std::char_traits<char> >",
            "basic_istream",
        ),
        b'o' => (
            "std::basic_ostream<char, std::char_traits<char> >",
            "basic_ostream",
        ),
        b'd' => (
            "std::basic_iostream<char, std::char_traits<char> >",
            "basic_iostream",
        ),
        _ => return None,
    })
}

fn builtin(b: u8) -> Option<&'static str> {
    Some(match b {
        b'v' => "void",
        b'w' => "wchar_t",
        b'b' => "bool",
        b'c' => "char",
        b'a' => "signed char",
        b'h' => "unsigned char",
        b's' => "short",
        b't' => "unsigned short",
        b'i' => "int",
        b'j' => "unsigned int",
        b'l' => "long",
        b'm' => "unsigned long",
        b'x' => "long long",
        b'y' => "unsigned long long",
        b'n' => "__int128",
        b'o' => "unsigned __int128",
        b'f' => "float",
        b'd' => "double",
        b'e' => "long double",
        b'g' => "__float128",
        b'z' => "...",
        _ => return None,
    })
}

/// `t` under the pointer or reference `q` (`P`, `R`, `O`) or `const` (`K`), with
/// C++'s reference collapsing (`T&` stays `T&` under `&&`).
fn qualify(t: &str, q: u8) -> String {
    // A pointer or reference to an array goes before its bounds: `char (&) [4]`.
    if t.ends_with(']') && q != b'K' {
        if matches!(q, b'R' | b'O') && t.contains(" (&) [") {
            return t.to_string();
        }
        if q == b'R' && t.contains(" (&&) [") {
            return t.replacen(" (&&) [", " (&) [", 1);
        }
        if let Some(i) = t.rfind(" [") {
            let sigil = match q {
                b'P' => "*",
                b'R' => "&",
                _ => "&&",
            };
            return format!("{} ({sigil}){}", &t[..i], &t[i..]);
        }
    }
    match q {
        b'P' => format!("{t}*"),
        b'K' => format!("{t} const"),
        b'R' if t.ends_with("&&") => format!("{}&", &t[..t.len() - 2]),
        b'R' | b'O' if t.ends_with('&') => t.to_string(),
        b'R' => format!("{t}&"),
        _ => format!("{t}&&"),
    }
}

/// `<args>`, with GNU's space between two closing brackets.
fn angle(args: &str) -> String {
    if args.ends_with('>') {
        format!("<{args} >")
    } else {
        format!("<{args}>")
    }
}

/// `name<args>` without its trailing template arguments.
fn strip_template_args(name: &str) -> &str {
    if !name.ends_with('>') {
        return name;
    }
    let mut depth = 0i32;
    for (i, c) in name.char_indices().rev() {
        match c {
            '>' => depth += 1,
            '<' => {
                depth -= 1;
                if depth == 0 {
                    return &name[..i];
                }
            }
            _ => {}
        }
    }
    name
}

/// A demangled function name without its parameter list (and what follows it), as
/// bpftrace matches `cpp:` patterns: everything before the last `(`.
pub fn without_params(demangled: &str) -> &str {
    match demangled.rfind('(') {
        Some(i) => &demangled[..i],
        None => demangled,
    }
}

#[cfg(test)]
#[path = "demangle_tests.rs"]
mod tests;
