//! Template arguments, substitutions and types of the Itanium demangler: the half of
//! [`super::Parser`] that spells out what a name is instantiated with or takes.

use super::Parser;

impl Parser<'_> {
    /// `I <args> E` as `<a, b>`; `set_targs` makes them what `T_` refers to.
    pub(super) fn template_args(&mut self, set_targs: bool) -> Option<String> {
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
    pub(super) fn template_arg(&mut self) -> Option<Vec<String>> {
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
    pub(super) fn literal(&mut self) -> Option<String> {
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

    pub(super) fn template_param(&mut self) -> Option<String> {
        self.eat(b'T').then_some(())?;
        Some(self.template_param_elems()?.join(", "))
    }

    /// The elements of the template parameter whose `T<id>_` follows `T`.
    pub(super) fn template_param_elems(&mut self) -> Option<Vec<String>> {
        let n = self.seq_id()?;
        self.targs.get(n).cloned()
    }

    /// `Dp <type>`: a pack expansion. The common form `Dp [qualifiers] T<id>_`
    /// applies the qualifiers to every element of the pack.
    pub(super) fn pack_expansion(&mut self) -> Option<String> {
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
    pub(super) fn substitution(&mut self) -> Option<String> {
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

    pub(super) fn ty(&mut self) -> Option<String> {
        self.enter()?;
        let r = self.ty_inner();
        self.depth -= 1;
        r
    }

    pub(super) fn ty_inner(&mut self) -> Option<String> {
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
    pub(super) fn class_type(&mut self) -> Option<String> {
        let saved = self.targs.clone();
        let (n, _) = self.name()?;
        self.targs = saved;
        Some(n)
    }

    /// `F [Y] <return> <params> [R|O] E`, with `inner` (`(*)`, `(Class::*)`) between
    /// the return type and the parameters.
    pub(super) fn function_type(&mut self, inner: &str) -> Option<String> {
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
pub(super) fn full_expansion(code: u8) -> Option<(&'static str, &'static str)> {
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

pub(super) fn builtin(b: u8) -> Option<&'static str> {
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
pub(super) fn qualify(t: &str, q: u8) -> String {
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
pub(super) fn angle(args: &str) -> String {
    if args.ends_with('>') {
        format!("<{args} >")
    } else {
        format!("<{args}>")
    }
}

/// `name<args>` without its trailing template arguments.
pub(super) fn strip_template_args(name: &str) -> &str {
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
