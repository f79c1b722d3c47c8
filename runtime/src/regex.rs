//! A small backtracking regular-expression matcher for `--probe-filter`.
//!
//! bpftrace matches the filter with C++ `std::regex` (ECMAScript grammar) and
//! searches for it anywhere in a probe's name. Probe names are short and the pattern
//! comes from the person running tracerun, so a backtracking matcher is enough; a
//! general regex crate would add far more to the shipped binary than this file does.
//!
//! Supported: literals and `\`-escaped punctuation, `.`, `^`, `$`, classes
//! (`[a-z_]`, `[^0-9]`, and `\d \D \w \W \s \S` inside and outside them), groups
//! `( )` and `(?: )`, alternation `|`, and the quantifiers `* + ? {n} {n,} {n,m}`
//! with their lazy forms (`*?` ...). Anything else (back-references, look-around,
//! `\b`) is refused with an error rather than matched differently.

use std::fmt;

/// A compiled pattern.
#[derive(Debug, Clone)]
pub struct Regex {
    root: Node,
}

/// Why a pattern was refused: what is wrong and where (a character offset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError {
    pub message: String,
    pub at: usize,
}

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at offset {}", self.message, self.at)
    }
}

impl std::error::Error for RegexError {}

#[derive(Debug, Clone)]
enum Node {
    Char(char),
    Any,
    Class(Class),
    Start,
    End,
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
        greedy: bool,
    },
}

#[derive(Debug, Clone, Default)]
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
    /// `\d`, `\w`, `\s` and their negations, as (kind, negated).
    shorthands: Vec<(char, bool)>,
}

fn shorthand(kind: char, c: char) -> bool {
    match kind {
        'd' => c.is_ascii_digit(),
        'w' => c.is_ascii_alphanumeric() || c == '_',
        _ => matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'),
    }
}

impl Class {
    fn matches(&self, c: char) -> bool {
        let inside = self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi)
            || self
                .shorthands
                .iter()
                .any(|&(k, neg)| shorthand(k, c) != neg);
        inside != self.negated
    }
}

impl Regex {
    /// Compile `pattern`.
    pub fn new(pattern: &str) -> Result<Regex, RegexError> {
        let mut p = Parser {
            chars: pattern.chars().collect(),
            pos: 0,
        };
        let root = p.alternation()?;
        if p.pos < p.chars.len() {
            return Err(p.error("unmatched ')'"));
        }
        Ok(Regex { root })
    }

    /// Whether the pattern matches anywhere in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        let s: Vec<char> = text.chars().collect();
        (0..=s.len()).any(|i| matches(&self.root, &s, i, &mut |_| true))
    }
}

/// Match `node` at `s[i..]`, then the rest of the pattern through `k`.
fn matches(node: &Node, s: &[char], i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    let one = |ok: bool, k: &mut dyn FnMut(usize) -> bool| ok && k(i + 1);
    match node {
        Node::Char(c) => one(s.get(i) == Some(c), k),
        Node::Any => one(s.get(i).is_some_and(|&c| c != '\n' && c != '\r'), k),
        Node::Class(set) => one(s.get(i).is_some_and(|&c| set.matches(c)), k),
        Node::Start => i == 0 && k(i),
        Node::End => i == s.len() && k(i),
        Node::Concat(nodes) => sequence(nodes, s, i, k),
        Node::Alt(alts) => alts.iter().any(|a| matches(a, s, i, k)),
        Node::Repeat {
            node,
            min,
            max,
            greedy,
        } => repeat(node, (*min, *max, *greedy), 0, s, i, k),
    }
}

fn sequence(nodes: &[Node], s: &[char], i: usize, k: &mut dyn FnMut(usize) -> bool) -> bool {
    match nodes.split_first() {
        None => k(i),
        Some((first, rest)) => matches(first, s, i, &mut |j| sequence(rest, s, j, k)),
    }
}

fn repeat(
    node: &Node,
    (min, max, greedy): (u32, Option<u32>, bool),
    count: u32,
    s: &[char],
    i: usize,
    k: &mut dyn FnMut(usize) -> bool,
) -> bool {
    let may_stop = count >= min;
    if !greedy && may_stop && k(i) {
        return true;
    }
    let may_go_on = max.is_none_or(|m| count < m);
    if may_go_on {
        let more = matches(node, s, i, &mut |j| {
            if j == i {
                // An empty iteration: every further one would be empty too, so the
                // remaining minimum is met without looping.
                k(j)
            } else {
                repeat(node, (min, max, greedy), count + 1, s, j, k)
            }
        });
        if more {
            return true;
        }
    }
    greedy && may_stop && k(i)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn error(&self, message: &str) -> RegexError {
        RegexError {
            message: message.to_string(),
            at: self.pos,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn alternation(&mut self) -> Result<Node, RegexError> {
        let mut alts = vec![self.concatenation()?];
        while self.eat('|') {
            alts.push(self.concatenation()?);
        }
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Concat(Vec::new()))
        } else {
            Node::Alt(alts)
        })
    }

    fn concatenation(&mut self) -> Result<Node, RegexError> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            items.push(self.quantified(atom)?);
        }
        Ok(Node::Concat(items))
    }

    fn atom(&mut self) -> Result<Node, RegexError> {
        let start = self.pos;
        let Some(c) = self.peek() else {
            return Err(self.error("unexpected end of pattern"));
        };
        self.pos += 1;
        Ok(match c {
            '.' => Node::Any,
            '^' => Node::Start,
            '$' => Node::End,
            '(' => {
                if self.eat('?') && !self.eat(':') {
                    self.pos = start;
                    return Err(self.error("unsupported group kind"));
                }
                let inner = self.alternation()?;
                if !self.eat(')') {
                    self.pos = start;
                    return Err(self.error("unmatched '('"));
                }
                inner
            }
            '[' => Node::Class(self.class(start)?),
            '\\' => match self.escape()? {
                Escaped::Char(c) => Node::Char(c),
                Escaped::Shorthand(kind, negated) => Node::Class(Class {
                    shorthands: vec![(kind, negated)],
                    ..Class::default()
                }),
            },
            '*' | '+' | '?' => {
                self.pos = start;
                return Err(self.error("nothing to repeat"));
            }
            '{' => {
                self.pos = start;
                if self.bounds().is_some() {
                    self.pos = start;
                    return Err(self.error("nothing to repeat"));
                }
                self.pos = start + 1;
                Node::Char('{')
            }
            c => Node::Char(c),
        })
    }

    /// After a `\`.
    fn escape(&mut self) -> Result<Escaped, RegexError> {
        let Some(c) = self.peek() else {
            return Err(self.error("trailing backslash"));
        };
        self.pos += 1;
        Ok(match c {
            'd' | 'w' | 's' => Escaped::Shorthand(c, false),
            'D' | 'W' | 'S' => Escaped::Shorthand(c.to_ascii_lowercase(), true),
            'n' => Escaped::Char('\n'),
            't' => Escaped::Char('\t'),
            'r' => Escaped::Char('\r'),
            c if c.is_ascii_alphanumeric() => {
                self.pos -= 1;
                return Err(self.error("unsupported escape"));
            }
            c => Escaped::Char(c),
        })
    }

    /// After a `[` at `start`.
    fn class(&mut self, start: usize) -> Result<Class, RegexError> {
        let mut class = Class {
            negated: self.eat('^'),
            ..Class::default()
        };
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                self.pos = start;
                return Err(self.error("unterminated character class"));
            };
            self.pos += 1;
            if c == ']' && !first {
                return Ok(class);
            }
            first = false;
            let lo = if c == '\\' {
                match self.escape()? {
                    Escaped::Char(c) => c,
                    Escaped::Shorthand(kind, negated) => {
                        class.shorthands.push((kind, negated));
                        continue;
                    }
                }
            } else {
                c
            };
            let is_range = self.peek() == Some('-') && self.chars.get(self.pos + 1) != Some(&']');
            if !is_range || self.chars.get(self.pos + 1).is_none() {
                class.ranges.push((lo, lo));
                continue;
            }
            self.pos += 1;
            let mut hi = self.chars[self.pos];
            self.pos += 1;
            if hi == '\\' {
                match self.escape()? {
                    Escaped::Char(c) => hi = c,
                    Escaped::Shorthand(..) => return Err(self.error("bad range in class")),
                }
            }
            if hi < lo {
                return Err(self.error("range out of order in class"));
            }
            class.ranges.push((lo, hi));
        }
    }

    /// `{n}`, `{n,}` or `{n,m}` at the current position, consumed when well formed.
    fn bounds(&mut self) -> Option<(u32, Option<u32>)> {
        let save = self.pos;
        let number = |p: &mut Parser| {
            let begin = p.pos;
            while p.peek().is_some_and(|c| c.is_ascii_digit()) {
                p.pos += 1;
            }
            p.chars[begin..p.pos]
                .iter()
                .collect::<String>()
                .parse::<u32>()
                .ok()
        };
        let parsed = (|| {
            if !self.eat('{') {
                return None;
            }
            let min = number(self)?;
            let max = if self.eat(',') {
                if self.peek() == Some('}') {
                    None
                } else {
                    Some(number(self)?)
                }
            } else {
                Some(min)
            };
            self.eat('}').then_some((min, max))
        })();
        if parsed.is_none() {
            self.pos = save;
        }
        parsed
    }

    fn quantified(&mut self, atom: Node) -> Result<Node, RegexError> {
        let start = self.pos;
        let (min, max) = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => match self.bounds() {
                Some(b) => {
                    self.pos -= 1; // re-consumed below with the other quantifiers
                    b
                }
                None => return Ok(atom),
            },
            _ => return Ok(atom),
        };
        self.pos += 1;
        if max.is_some_and(|m| m < min) {
            self.pos = start;
            return Err(self.error("repeat bounds out of order"));
        }
        if matches!(atom, Node::Start | Node::End) {
            self.pos = start;
            return Err(self.error("nothing to repeat"));
        }
        let greedy = !self.eat('?');
        if matches!(self.peek(), Some('*' | '+' | '?')) {
            return Err(self.error("nothing to repeat"));
        }
        Ok(Node::Repeat {
            node: Box::new(atom),
            min,
            max,
            greedy,
        })
    }
}

enum Escaped {
    Char(char),
    Shorthand(char, bool),
}

#[cfg(test)]
mod tests {
    use super::Regex;

    fn m(pattern: &str, text: &str) -> bool {
        Regex::new(pattern)
            .unwrap_or_else(|e| panic!("{pattern}: {e}"))
            .is_match(text)
    }

    #[test]
    fn searches_anywhere_in_the_name() {
        assert!(m(":200", "interval:ms:200"));
        assert!(!m(":200", "interval:ms:100"));
        assert!(m("", "anything"));
        assert!(m("^interval", "interval:ms:1"));
        assert!(!m("^ms", "interval:ms:1"));
        assert!(m(":1$", "interval:ms:1"));
        assert!(!m(":1$", "interval:ms:10"));
    }

    #[test]
    fn alternation_groups_and_classes() {
        assert!(m("interval:ms:(200|300)", "interval:ms:300"));
        assert!(!m("interval:ms:(200|300)", "interval:ms:100"));
        assert!(m("^(?:kprobe|uprobe):", "uprobe:/bin/sh:main"));
        assert!(m("sys_enter_[a-c]", "tracepoint:syscalls:sys_enter_close"));
        assert!(!m(
            "sys_enter_[^a-z]",
            "tracepoint:syscalls:sys_enter_close"
        ));
        assert!(m(r"ms:\d+$", "interval:ms:250"));
        assert!(!m(r"ms:\d+$", "interval:ms:x"));
        assert!(m(r"[\w:]+", "a:b"));
        assert!(m(r"a\.b", "a.b"));
        assert!(!m(r"a\.b", "axb"));
        assert!(m("[]a]", "]"));
        assert!(m("[a-]", "-"));
    }

    #[test]
    fn quantifiers_backtrack() {
        assert!(m("^a*ab$", "aaab"));
        assert!(m("^(ab)+$", "ababab"));
        assert!(!m("^(ab)+$", "ababa"));
        assert!(m("^a{2,3}$", "aaa"));
        assert!(!m("^a{2,3}$", "aaaa"));
        assert!(m("^a{2}$", "aa"));
        assert!(m("^a{2,}$", "aaaaa"));
        assert!(m("^x.*?y$", "x123y"));
        assert!(m("^(a*)*b$", "aab"));
        assert!(m("^(a|)+$", "aaa"));
        assert!(m("^ab?c$", "ac"));
        // A brace that is not a bound is a literal, as in ECMAScript.
        assert!(m("a{x", "a{x"));
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in [
            "[invalid", "(a", "a)", "*a", "a**", "\\", "a{3,2}", "(?=a)", r"\b", "[z-a]", "^*",
        ] {
            assert!(Regex::new(bad).is_err(), "{bad} was accepted");
        }
    }
}
