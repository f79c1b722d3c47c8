//! A compact demangler for Itanium C++ ABI symbol names (`_ZN5MyApp6Server3runEi` to
//! `MyApp::Server::run(int)`), printed as GNU's `__cxa_demangle`/`c++filt` print them
//! (`char const*`, `> >`). `tracec` matches `uprobe:BIN:cpp:NAME` against demangled
//! names and lists them; `tracerun` names C++ frames in `ustack`/`usym` with them, as
//! bpftrace does by default (`cpp_demangle`). It covers what compilers emit for
//! functions (nested and local names, templates, substitutions, operators,
//! constructors, ABI tags, clones, thunks and guard variables); a name using
//! anything else (expressions in template arguments, decltype) is not demangled:
//! [`demangle`] returns `None` and the mangled name stays.

#[path = "demangle_types.rs"]
mod types;
use types::{full_expansion, strip_template_args};

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
