//! `@m[k] += x`, `@m[k] -= x`, `@m[k]++` on a map holding plain integers: the element is
//! updated in place with an atomic add, so probes firing at once on several CPUs lose no
//! updates (a load, add and store of the element would). The key is built once.

//!
//! Lowering also records how each map's plain values are written ([`Writes`]): a map
//! whose every write is such an add is `additive` in its metadata, so that the runtime
//! adds the values of entries it merges (`dw_ustack` keys) instead of keeping one.

use super::Lower;
use crate::ir::{Base, BinOp, Cond, Helper, MapId, Operand, Width};
use crate::sema::types::*;
use crate::sema::MapValueType;
use tracec_meta::{MapRole, MapSpec};

/// `BPF_NOEXIST`: insert only if the key is not there yet.
const BPF_NOEXIST: i64 = 1;
/// `EEXIST`: another CPU inserted the key first.
const EEXIST: i64 = 17;

/// `x` when `value` is `@map[keys] + x` or `@map[keys] - x` (negated: `true`) on a map of
/// plain integers: the form sema gives `@map[keys] += x` and `@map[keys]++`.
pub(super) fn self_add<'e>(
    map: MapIdx,
    keys: &[TExpr],
    vty: MapValueType,
    value: &'e TExpr,
) -> Option<(&'e TExpr, bool)> {
    if !matches!(vty, MapValueType::Plain(Type::Int { .. }))
        || !matches!(value.ty, Type::Int { .. })
    {
        return None;
    }
    let TExprKind::Arith { op, lhs, rhs } = &value.kind else {
        return None;
    };
    let negate = match op {
        Arith::Add => false,
        Arith::Sub => true,
        _ => return None,
    };
    match &lhs.kind {
        TExprKind::MapRead { map: m, keys: k } if *m == map && k.as_slice() == keys => {
            Some((rhs, negate))
        }
        _ => None,
    }
}

/// How the program writes one map's plain values (aggregations are not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum Writes {
    /// No plain write (an aggregation, or a map only read, cleared or deleted from).
    #[default]
    None,
    /// Only atomic adds ([`self_add`]).
    Added,
    /// At least one assignment of another value.
    Assigned,
}

impl Writes {
    /// After one more write, an add (`added`) or not.
    pub(crate) fn and(self, added: bool) -> Writes {
        match (self, added) {
            (Writes::Assigned, _) | (_, false) => Writes::Assigned,
            _ => Writes::Added,
        }
    }
}

/// Mark the user maps (the first specs, one per checked map) whose plain values are only
/// ever added to.
pub(crate) fn mark_additive(specs: &mut [MapSpec], writes: &[Writes]) {
    for (spec, w) in specs.iter_mut().zip(writes) {
        if let MapRole::User { additive, .. } = &mut spec.role {
            *additive = *w == Writes::Added;
        }
    }
}

impl Lower<'_, '_> {
    /// Record a plain write of `map`: an atomic add or an assignment.
    pub(super) fn note_write(&mut self, map: MapIdx, added: bool) {
        if let Some(w) = self.m.map_writes.get_mut(map.0 as usize) {
            *w = w.and(added);
        }
    }

    /// Add `x` (or `-x`) to `@map[keys]` atomically: found, `lock add`; missing, insert
    /// `x` with `BPF_NOEXIST`, and when another CPU inserted the key in between, add to
    /// the element it made.
    pub(super) fn map_add_atomic(&mut self, map: MapIdx, keys: &[TExpr], x: &TExpr, negate: bool) {
        let x = match (self.int(x), negate) {
            (Operand::Imm(c), true) => self.reg(Operand::Imm(c.wrapping_neg())),
            (x, true) => {
                let x = self.reg(x);
                self.b.binary(BinOp::Mul, x, Operand::Imm(-1))
            }
            (x, false) => self.reg(x),
        };
        let key = self.key(map, keys);
        let p = self.lookup(map, key);
        let found = self.b.new_block();
        let missing = self.b.new_block();
        let raced = self.b.new_block();
        let found_again = self.b.new_block();
        let done = self.b.new_block();
        self.on_found(p, found, missing);

        self.b.switch_to(found);
        self.b.atomic_add(Base::Reg(p), 0, Width::B8, x);
        self.b.jump(done);

        self.b.switch_to(missing);
        let v = self.b.temp_slot(8);
        self.b.store(Base::Slot(v), 0, Width::B8, Operand::Reg(x));
        let m = self.b.map_addr(MapId(map.0));
        let k = self.b.slot_addr(key, 0);
        let va = self.b.slot_addr(v, 0);
        let ret = self.b.call(
            Helper::MapUpdateElem,
            vec![
                Operand::Reg(m),
                Operand::Reg(k),
                Operand::Reg(va),
                Operand::Imm(BPF_NOEXIST),
            ],
        );
        let other = self.b.new_block();
        self.b
            .branch(Cond::Eq, ret, Operand::Imm(-EEXIST), raced, other);
        self.b.switch_to(other);
        if self.m.map_can_fill(map) {
            self.map_full_check(ret);
        }
        self.b.jump(done);

        self.b.switch_to(raced);
        let p2 = self.lookup(map, key);
        self.on_found(p2, found_again, done);
        self.b.switch_to(found_again);
        self.b.atomic_add(Base::Reg(p2), 0, Width::B8, x);
        self.b.jump(done);

        self.b.switch_to(done);
    }
}

#[cfg(test)]
mod tests {
    use tracec_meta::MapRole;

    /// `(name, additive)` of every user map of `src`.
    fn additive(src: &str) -> Vec<(String, bool)> {
        let c = crate::compile(src, &crate::Options::default()).expect("compiles");
        c.metadata
            .maps
            .iter()
            .filter_map(|m| match &m.role {
                MapRole::User { name, additive, .. } => Some((name.clone(), *additive)),
                _ => None,
            })
            .collect()
    }

    fn is_additive(src: &str, name: &str) -> bool {
        additive(src)
            .into_iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no {name} in {src}"))
            .1
    }

    #[test]
    fn maps_written_only_by_adds_are_additive() {
        let src = "BEGIN { @a[1]++; @b[1] += 5; @c -= 2; @d[2]--; }";
        for name in ["@a", "@b", "@c", "@d"] {
            assert!(is_additive(src, name), "{name}");
        }
    }

    #[test]
    fn one_assignment_anywhere_makes_a_map_not_additive() {
        let src = "BEGIN { @a[1]++; @b = 1; } END { @a[2] = 7; @b += 1; }";
        assert!(!is_additive(src, "@a"));
        assert!(!is_additive(src, "@b"));
        // Also an assignment in a map loop's callback.
        let src = "BEGIN { @m[1] = 1; @n[1]++; for ($kv : @m) { @n[$kv.0] = 0; } }";
        assert!(!is_additive(src, "@n"));
    }

    #[test]
    fn aggregations_are_not_additive_and_deletes_do_not_count() {
        let src =
            "BEGIN { @c = count(); @s = sum(2); @x[1]++; delete(@x, 1); clear(@x); @r = @x[1]; }";
        let mut got = additive(src);
        got.sort();
        let want = [("@c", false), ("@r", false), ("@s", false), ("@x", true)];
        let want: Vec<(String, bool)> = want.iter().map(|(n, a)| (n.to_string(), *a)).collect();
        assert_eq!(got, want);
    }
}
