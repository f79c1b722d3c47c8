//! Reading an aggregation map as a value (`if (@c > 5)`, `$a = @s`): which
//! aggregations can be read and the type of the result. The value is combined over
//! all CPUs at run time (`lower::agg_read`), as bpftrace does.

use super::types::Type;
use tracec_meta::AggKind;

/// Whether `@m` holding a `kind` aggregation can be read as an integer.
pub(super) fn readable(kind: AggKind) -> bool {
    matches!(
        kind,
        AggKind::Count | AggKind::Sum | AggKind::Min | AggKind::Max | AggKind::Avg
    )
}

/// The type of the value read: `count()` is unsigned, the others take the signedness
/// of the aggregated expression.
pub(super) fn value_type(kind: AggKind, signed: bool) -> Type {
    match kind {
        AggKind::Count => Type::U64,
        _ => Type::int(signed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readable_kinds() {
        assert!(readable(AggKind::Count));
        assert!(readable(AggKind::Avg));
        assert!(!readable(AggKind::Stats));
        assert!(!readable(AggKind::Hist { bits: 0 }));
        assert!(!readable(AggKind::Assign));
    }

    #[test]
    fn types() {
        assert_eq!(value_type(AggKind::Count, true), Type::U64);
        assert_eq!(value_type(AggKind::Sum, true), Type::int(true));
        assert_eq!(value_type(AggKind::Max, false), Type::int(false));
    }
}
