//! bpftrace's run-time warning when a map update fails because the map is full:
//! `NAME:L:C-C: WARNING: Map full; can't update element...`, the helper and its
//! return code, then the source line with `~` under the statement, once per failed
//! update. Only maps that can realistically fill get the check (a compare and a
//! `Warn` event, about twenty instructions per update site): maps declared with a
//! size that are not LRU (an LRU map evicts instead of failing), and undeclared
//! maps when the config block sets `max_map_keys`, and maps keyed by a `dw_ustack`
//! (each sample's key holds its own snapshot id, so every sample is a new key and the
//! map fills after `max_map_keys` samples; the runtime merges equal stacks only when
//! printing).

use super::{LineIndex, Lower, ModuleCx};
use crate::front::ast::Span;
use crate::ir::{Cond, Operand, VReg};
use crate::sema::calls::LOCATION_MARK;
use crate::sema::types::{MapIdx, DEFAULT_MAX_ENTRIES};
use tracec_meta::{EventKind, PrintfSpec, Ty};

/// `-E2BIG`: what `map_update_elem` returns when a new key does not fit.
const E2BIG: i64 = 7;

/// The warning's text after the location (a printf format: `%` is escaped).
pub(crate) fn message(line: &str, col: usize, width: usize) -> String {
    let marks = " ".repeat(col.saturating_sub(1)) + &"~".repeat(width.max(1));
    format!(
        "Map full; can't update element. Try increasing max_map_keys config or manually \
         setting the max entries in a map declaration e.g. `let @a = hash(5000)`\n\
         Additional Info - helper: map_update_elem, retcode: -{E2BIG}\n{}\n{marks}\n",
        line.replace('%', "%%")
    )
}

impl ModuleCx<'_> {
    /// Whether updates of `map` can fail for lack of room (see the module docs).
    pub(crate) fn map_can_fill(&self, map: MapIdx) -> bool {
        let keys = self.checked.maps.get(map.0 as usize).map(|m| &m.keys);
        if keys.is_some_and(|k| k.iter().any(|t| has_dw_stack(&t.meta()))) {
            return true;
        }
        match self.checked.declared.iter().find(|(i, _)| *i == map) {
            Some((_, d)) => !d.kind.lru(),
            None => self.checked.config.max_map_keys != DEFAULT_MAX_ENTRIES,
        }
    }

    /// The id of the located warning for a full map at `span` (one per span).
    fn map_full_printf(&mut self, span: Span, lines: &LineIndex) -> u32 {
        let src = lines.source;
        let start = (span.start as usize).min(src.len());
        let end = (span.end as usize).clamp(start, src.len());
        let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
        let line = &src[line_start..line_end];
        let col = src[line_start..start].chars().count() + 1;
        let width = src[start..end.min(line_end)].chars().count();
        let format = format!(
            "{LOCATION_MARK}{}:{}:WARNING\0{}",
            span.start,
            span.end,
            message(line, col, width)
        );
        let spec = PrintfSpec {
            format,
            args: Vec::new(),
        };
        self.extra_printf(spec)
    }
}

/// Whether a key type holds a `dw_ustack` (alone or in a tuple).
fn has_dw_stack(ty: &Ty) -> bool {
    match ty {
        Ty::DwStack { .. } => true,
        Ty::Tuple { fields } => fields.iter().any(|f| has_dw_stack(&f.ty)),
        Ty::Record { fields } => fields.iter().any(|f| has_dw_stack(&f.ty)),
        Ty::Array { elem, .. } => has_dw_stack(elem),
        _ => false,
    }
}

impl Lower<'_, '_> {
    /// After `ret = map_update_elem(map, ...)`: the warning event when it was full.
    pub(crate) fn map_full_check(&mut self, ret: VReg) {
        let id = self.m.map_full_printf(self.stmt_span, self.lines);
        let warn = self.b.new_block();
        let done = self.b.new_block();
        self.b
            .branch(Cond::Eq, ret, Operand::Imm(-E2BIG), warn, done);
        self.b.switch_to(warn);
        self.event(EventKind::Warn, id, 0, |_, _| {});
        self.b.jump(done);
        self.b.switch_to(done);
    }
}

#[cfg(test)]
mod tests {
    use super::message;

    #[test]
    fn message_underlines_the_statement() {
        let m = message("begin { @a[2] = 2; printf(\"%d\") }", 9, 9);
        assert!(m.starts_with("Map full; can't update element. Try increasing max_map_keys"));
        assert!(m.contains("\nAdditional Info - helper: map_update_elem, retcode: -7\n"));
        assert!(m.ends_with("printf(\"%%d\") }\n        ~~~~~~~~~\n"), "{m}");
    }

    /// The statements whose updates warn when the map is full.
    fn full_warnings(script: &str) -> Vec<String> {
        let c = crate::compile(script, &crate::Options::default()).expect("compiles");
        c.metadata
            .printfs
            .iter()
            .filter(|p| p.format.contains("Map full"))
            .map(|p| p.format.clone())
            .collect()
    }

    #[test]
    fn maps_keyed_by_dw_ustack_warn_when_full() {
        let w = full_warnings(
            "profile:hz:99 { @a[dw_ustack] = count(); @b[tid, dw_ustack(3)] = 1; @c[tid] = count(); }",
        );
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("@a[dw_ustack] = count()"), "{w:?}");
        assert!(w[1].contains("@b[tid, dw_ustack(3)] = 1"), "{w:?}");
    }
}
