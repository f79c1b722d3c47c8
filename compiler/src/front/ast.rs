//! The syntax tree. Every node carries the byte [`Span`] it came from, so that any later
//! pass can point a diagnostic at it.

/// Byte offsets `[start, end)` into the script text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }
    /// The smallest span that covers both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Program {
    pub probes: Vec<Probe>,
    /// `config = { key = value; ... }` settings, in order.
    pub config: Vec<ConfigItem>,
    /// Top-level map declarations: `let @m = lruhash(100);`.
    pub map_decls: Vec<MapDecl>,
    /// `macro name(params) { body }` definitions (expanded by `front::macros`).
    pub macros: Vec<Macro>,
    /// Top-level C type definitions (`struct Foo { int x; }`, `enum E { A }`), in order.
    pub c_definitions: Vec<CDefinition>,
    /// The headers named by the script's active `#include` lines, in order (set by
    /// the driver from [`super::preprocess::run_with_includes`]). Names a header
    /// would define that no header found defines come from the Linux ABI table
    /// (`front::kconsts`), and script types may then use kernel types by value.
    pub includes: Vec<String>,
    /// Root-level `import "path";` statements, in order (resolved and merged by
    /// `front::imports`).
    pub imports: Vec<Import>,
}

/// `import "path";` at top level.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// The path as written (unescaped).
    pub path: String,
    /// `import "path";`.
    pub span: Span,
}

/// A top-level C type definition: its text, and what [`super::ctypes::parse`] made of
/// it (filled in by [`super::parse_recovering`]).
#[derive(Debug, Clone, PartialEq)]
pub struct CDefinition {
    pub text: String,
    pub decls: Vec<super::ctypes::CDecl>,
    pub span: Span,
}

/// One `key = value` of a config block.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigItem {
    pub key: String,
    pub value: ConfigValue,
    /// `key = value`.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConfigValue {
    Int(u64),
    Str(String),
    /// A bare word: `raw`, `perf`, `true`.
    Ident(String),
}

/// `let @name = kind(max_entries);` at top level.
#[derive(Debug, Clone, PartialEq)]
pub struct MapDecl {
    /// Without the `@`.
    pub name: String,
    /// `hash`, `lruhash`, `percpuhash`, `percpulruhash`...
    pub kind: String,
    pub args: Vec<Expr>,
    pub span: Span,
}

/// `macro name(params) { body }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Macro {
    pub name: String,
    pub params: Vec<MacroParam>,
    pub body: Block,
    /// The header `macro name(params)`.
    pub span: Span,
}

/// A macro parameter: `$x` (a variable), `@m` (a map), `x` (an expression).
#[derive(Debug, Clone, PartialEq)]
pub enum MacroParam {
    Var(String),
    Map(String),
    Expr(String),
}

/// `attach, attach /pred/ { body }`
#[derive(Debug, Clone, PartialEq)]
pub struct Probe {
    pub attach_points: Vec<AttachPoint>,
    pub predicate: Option<Expr>,
    pub body: Block,
    pub span: Span,
}

/// An attach point exactly as written, e.g. `tracepoint:syscalls:sys_enter_*` or
/// `interval:s:1`. It is split on `:` by the parser; the provider decides what the
/// parts mean (see `crate::probes`).
#[derive(Debug, Clone, PartialEq)]
pub struct AttachPoint {
    /// The full text, e.g. `tracepoint:syscalls:sys_enter_openat`.
    pub raw: String,
    /// `raw` split on `:` (`BEGIN` gives one part).
    pub parts: Vec<String>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// An expression evaluated for its effect: `printf(...)`, `exit()`, `count()`...
    Expr(Expr),
    /// `$x = e`, `@m[k] = e`, and the compound forms `$x += e` (op is `Some(Add)`).
    Assign {
        target: Expr,
        op: Option<BinOp>,
        value: Expr,
    },
    /// `$x++`, `@m--`, `++$x` as statements.
    Incr {
        target: Expr,
        delta: i64,
    },
    If {
        cond: Expr,
        then: Block,
        /// `else { }` or `else if ...` (an `If` statement inside a block).
        els: Option<Block>,
    },
    /// A nested `{ ... }`.
    Block(Block),
    /// `let $name[: type] [= value]`: a variable of the enclosing block.
    Let {
        name: String,
        ty: Option<TypeName>,
        value: Option<Expr>,
    },
    /// `while (cond) { body }`.
    While {
        cond: Expr,
        body: Block,
    },
    /// `unroll(count) { body }`.
    Unroll {
        count: Expr,
        body: Block,
    },
    /// `for ($var : iter) { body }`.
    For {
        var: String,
        iter: ForIter,
        body: Block,
    },
    Break,
    Continue,
    /// `return [value]`: leaves the probe.
    Return(Option<Expr>),
}

/// What a `for` loop iterates over.
#[derive(Debug, Clone, PartialEq)]
pub enum ForIter {
    /// `start..end`: integers from `start` up to, not including, `end`.
    Range { start: Expr, end: Expr },
    /// `@map`: `(key, value)` tuples.
    Map(Expr),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Int(u64),
    Str(String),
    /// A bare identifier: a builtin like `pid`, `comm`, `args`.
    Ident(String),
    /// `$name` (without the `$`).
    Var(String),
    /// `@name` or `@` (name without the `@`, empty for `@`), optionally keyed.
    Map {
        name: String,
        keys: Vec<Expr>,
    },
    /// `f(args)`.
    Call {
        name: String,
        args: Vec<Expr>,
    },
    /// `e.field` and `e->field`.
    Field {
        base: Box<Expr>,
        field: String,
        arrow: bool,
    },
    /// `e[i]` on something that is not a map.
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    Unary {
        op: UnOp,
        expr: Box<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    Ternary {
        cond: Box<Expr>,
        then: Box<Expr>,
        els: Box<Expr>,
    },
    /// `(type)e`.
    Cast {
        ty: TypeName,
        expr: Box<Expr>,
    },
    /// A block expression `{ stmts; value }`.
    Block {
        stmts: Vec<Stmt>,
        value: Box<Expr>,
    },
    /// `(a, b, ...)`, `(a,)`, `()`.
    Tuple(Vec<Expr>),
    /// `(name = a, other = b, ...)`: `names[i]` names `values[i]`.
    Record {
        names: Vec<String>,
        values: Vec<Expr>,
    },
}

/// A type as written in a cast: `uint32`, `struct task_struct *`, `int8 **`.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeName {
    pub base: TypeBase,
    /// Number of `*`s.
    pub pointers: u32,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TypeBase {
    /// `int8` ... `uint64`.
    Int { bits: u8, signed: bool },
    /// `bool`.
    Bool,
    /// `struct name` / `union name`.
    Record { name: String, union: bool },
    /// `enum name`.
    Enum { name: String },
    /// A C type name other than bpftrace's own: `uint64_t`, `unsigned int`, `char`,
    /// `u32`, a typedef of the kernel or the script (`size_t`), or a macro parameter
    /// standing for a type (`macro m(t) { sizeof(t *) }`). Several words are joined
    /// by one space.
    Named(String),
    /// `void` (only behind a pointer: `void *`).
    Void,
    /// `typeof(expr)` / `typeof(type)` (a type argument is a cast of 0, as in
    /// `sizeof(type)`).
    Typeof(Box<Expr>),
    /// `elem[len]` / `elem[]` (the length taken from the value cast).
    Array {
        elem: Box<TypeName>,
        len: Option<u32>,
    },
}

impl Expr {
    /// The sub-expressions evaluated directly by this one, in source order. A block
    /// expression's statements are not expressions: only its value is listed.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Int(_) | ExprKind::Str(_) | ExprKind::Ident(_) | ExprKind::Var(_) => {
                Vec::new()
            }
            ExprKind::Map { keys: list, .. }
            | ExprKind::Call { args: list, .. }
            | ExprKind::Tuple(list)
            | ExprKind::Record { values: list, .. } => list.iter().collect(),
            ExprKind::Field { base, .. }
            | ExprKind::Unary { expr: base, .. }
            | ExprKind::Cast { expr: base, .. } => vec![base],
            ExprKind::Index { base: a, index: b } | ExprKind::Binary { lhs: a, rhs: b, .. } => {
                vec![a, b]
            }
            ExprKind::Ternary { cond, then, els } => vec![cond, then, els],
            ExprKind::Block { value, .. } => vec![value],
        }
    }
}

impl Expr {
    /// [`Expr::children`], mutably.
    pub fn children_mut(&mut self) -> Vec<&mut Expr> {
        match &mut self.kind {
            ExprKind::Int(_) | ExprKind::Str(_) | ExprKind::Ident(_) | ExprKind::Var(_) => {
                Vec::new()
            }
            ExprKind::Map { keys: list, .. }
            | ExprKind::Call { args: list, .. }
            | ExprKind::Tuple(list)
            | ExprKind::Record { values: list, .. } => list.iter_mut().collect(),
            ExprKind::Field { base, .. }
            | ExprKind::Unary { expr: base, .. }
            | ExprKind::Cast { expr: base, .. } => vec![base],
            ExprKind::Index { base: a, index: b } | ExprKind::Binary { lhs: a, rhs: b, .. } => {
                vec![a, b]
            }
            ExprKind::Ternary { cond, then, els } => vec![cond, then, els],
            ExprKind::Block { value, .. } => vec![value],
        }
    }
}

/// Call `f` on every expression of the probes of `program` (predicates and bodies,
/// nested statements and block expressions included), each before its sub-expressions,
/// so a rewrite `f` makes is what the walk then descends into.
pub fn visit_exprs_mut(program: &mut Program, f: &mut dyn FnMut(&mut Expr)) {
    for probe in &mut program.probes {
        if let Some(p) = &mut probe.predicate {
            visit_expr_mut(p, f);
        }
        visit_block_mut(&mut probe.body, f);
    }
}

fn visit_block_mut(b: &mut Block, f: &mut dyn FnMut(&mut Expr)) {
    b.stmts.iter_mut().for_each(|s| visit_stmt_mut(s, f));
}

fn visit_expr_mut(e: &mut Expr, f: &mut dyn FnMut(&mut Expr)) {
    f(e);
    if let ExprKind::Block { stmts, .. } = &mut e.kind {
        stmts.iter_mut().for_each(|s| visit_stmt_mut(s, f));
    }
    for c in e.children_mut() {
        visit_expr_mut(c, f);
    }
}

fn visit_stmt_mut(s: &mut Stmt, f: &mut dyn FnMut(&mut Expr)) {
    match &mut s.kind {
        StmtKind::Expr(e) | StmtKind::Incr { target: e, .. } => visit_expr_mut(e, f),
        StmtKind::Assign { target, value, .. } => {
            visit_expr_mut(target, f);
            visit_expr_mut(value, f);
        }
        StmtKind::If { cond, then, els } => {
            visit_expr_mut(cond, f);
            visit_block_mut(then, f);
            if let Some(b) = els {
                visit_block_mut(b, f);
            }
        }
        StmtKind::Block(b) => visit_block_mut(b, f),
        StmtKind::Let { value, .. } | StmtKind::Return(value) => {
            if let Some(v) = value {
                visit_expr_mut(v, f);
            }
        }
        StmtKind::While { cond: e, body } | StmtKind::Unroll { count: e, body } => {
            visit_expr_mut(e, f);
            visit_block_mut(body, f);
        }
        StmtKind::For { iter, body, .. } => {
            match iter {
                ForIter::Range { start, end } => {
                    visit_expr_mut(start, f);
                    visit_expr_mut(end, f);
                }
                ForIter::Map(m) => visit_expr_mut(m, f),
            }
            visit_block_mut(body, f);
        }
        StmtKind::Break | StmtKind::Continue => {}
    }
}

impl TypeName {
    /// The type as it would be written: `struct task_struct *`.
    pub fn spelling(&self) -> String {
        let base = match &self.base {
            TypeBase::Int { bits, signed } => {
                format!("{}int{bits}", if *signed { "" } else { "u" })
            }
            TypeBase::Bool => "bool".into(),
            TypeBase::Record { name, union } => {
                format!("{} {name}", if *union { "union" } else { "struct" })
            }
            TypeBase::Enum { name } => format!("enum {name}"),
            TypeBase::Named(name) => name.clone(),
            TypeBase::Void => "void".into(),
            TypeBase::Typeof(_) => "typeof(...)".into(),
            TypeBase::Array { elem, len } => match len {
                Some(n) => format!("{}[{n}]", elem.spelling()),
                None => format!("{}[]", elem.spelling()),
            },
        };
        if self.pointers == 0 {
            base
        } else {
            format!("{base} {}", "*".repeat(self.pointers as usize))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnOp {
    /// `-e`
    Neg,
    /// `!e`
    Not,
    /// `~e`
    BitNot,
    /// `*e`
    Deref,
    /// `&e` (of a variable)
    AddrOf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LogAnd,
    LogOr,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::BitAnd => "&",
            BinOp::BitOr => "|",
            BinOp::BitXor => "^",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::LogAnd => "&&",
            BinOp::LogOr => "||",
        }
    }
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
        )
    }
}
