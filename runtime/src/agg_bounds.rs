//! Aggregation bounds read from parameters (`lhist(x, $1, $2, $3)`): once the
//! parameters are known, every [`AggKind::LhistParam`] becomes the [`AggKind::Lhist`]
//! it stands for, checked as bpftrace's compiler checks constant bounds.

use crate::params::GlobalValue;
use crate::Error;
use std::cell::RefCell;
use tracec_meta::{AggKind, MapRole, Metadata, ParamType};

thread_local! {
    /// The integer value of each parameter, by index in `Metadata::params`.
    static VALUES: RefCell<Vec<Option<i64>>> = const { RefCell::new(Vec::new()) };
}

/// The integer parameters' values: `values` is [`crate::params::resolve`]'s output, in
/// the order of `meta.params`.
fn int_values(meta: &Metadata, values: &[GlobalValue]) -> Vec<Option<i64>> {
    meta.params
        .iter()
        .zip(values)
        .map(|(spec, v)| match spec.ty {
            ParamType::Int => v.bytes.get(..8)?.try_into().ok().map(i64::from_le_bytes),
            _ => None,
        })
        .collect()
}

/// bpftrace's checks of `lhist` bounds (its messages).
fn check_lhist(min: i64, max: i64, step: i64) -> Result<(), String> {
    if min < 0 || max < 0 {
        return Err("lhist(): invalid min/max value (must be non-negative)".into());
    }
    if step <= 0 {
        return Err(format!("lhist() step must be >= 1 ({step} provided)"));
    }
    let buckets = max.wrapping_sub(min) / step;
    if buckets > 1000 {
        return Err(format!(
            "lhist() too many buckets, must be <= 1000 (would need {buckets})"
        ));
    }
    if min > max {
        return Err(format!(
            "lhist() min must be less than max (provided min {min} and max {max})"
        ));
    }
    if max - min < step {
        return Err(format!(
            "lhist() step is too large for the given range (provided step {step} for range {})",
            max - min
        ));
    }
    Ok(())
}

/// Remember the parameters and check every map whose bounds they give.
pub fn install(meta: &Metadata, values: &[GlobalValue]) -> Result<(), Error> {
    let ints = int_values(meta, values);
    for m in &meta.maps {
        let MapRole::User { name, agg, .. } = &m.role else {
            continue;
        };
        if !matches!(agg, AggKind::LhistParam { .. }) {
            continue;
        }
        let lookup = |i: u32| ints.get(i as usize).copied().flatten();
        match agg.resolve(lookup) {
            Some(AggKind::Lhist { min, max, step }) => check_lhist(min, max, step)
                .map_err(|e| Error::new(format!("{name}: {e}")))?,
            _ => {
                return Err(Error::new(format!(
                    "{name}: lhist() bounds name a parameter the object does not describe as an integer"
                )))
            }
        }
    }
    VALUES.with(|v| *v.borrow_mut() = ints);
    Ok(())
}

/// `agg` with parameter bounds replaced by their values (unchanged if unknown).
pub fn resolve(agg: AggKind) -> AggKind {
    VALUES.with(|v| {
        let v = v.borrow();
        agg.resolve(|i| v.get(i as usize).copied().flatten())
            .unwrap_or(agg)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracec_meta::Bound;

    #[test]
    fn bounds_are_checked_like_bpftrace() {
        assert!(check_lhist(0, 10000, 1000).is_ok());
        assert_eq!(
            check_lhist(0, 10, 0).unwrap_err(),
            "lhist() step must be >= 1 (0 provided)"
        );
        assert!(check_lhist(0, 100_000, 1)
            .unwrap_err()
            .contains("would need 100000"));
        assert!(check_lhist(10, 5, 1)
            .unwrap_err()
            .contains("provided min 10 and max 5"));
        assert!(check_lhist(0, 5, 10)
            .unwrap_err()
            .contains("step 10 for range 5"));
    }

    #[test]
    fn resolves_from_installed_values() {
        let agg = AggKind::LhistParam {
            min: Bound::Const(0),
            max: Bound::Param(1),
            step: Bound::Param(0),
        };
        VALUES.with(|v| *v.borrow_mut() = vec![Some(5), Some(100)]);
        assert_eq!(
            resolve(agg),
            AggKind::Lhist {
                min: 0,
                max: 100,
                step: 5
            }
        );
        VALUES.with(|v| v.borrow_mut().clear());
        assert_eq!(resolve(agg), agg);
    }
}
