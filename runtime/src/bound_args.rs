//! Positional arguments the compiler bound into attach points (`tracec ... -- ARGS`,
//! [`tracec_meta::Metadata::bound_args`]): the object's probes were chosen with them,
//! so running it with other values would silently trace something else. tracerun
//! refuses that.

use crate::Error;
use tracec_meta::BoundArg;

/// Check the positional arguments of this run against the bound ones.
pub fn check(bound: &[BoundArg], positional: &[String]) -> Result<(), Error> {
    for b in bound {
        let given = positional.get((b.index as usize).wrapping_sub(1));
        if given != Some(&b.value) {
            let got = match given {
                Some(v) => format!("'{v}'"),
                None => "none".to_string(),
            };
            return Err(Error::new(format!(
                "the object's attach points were compiled with ${} = '{}' (tracec ... -- ARGS); run it with the same argument (got {got})",
                b.index, b.value
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bound(i: u32, v: &str) -> BoundArg {
        BoundArg {
            index: i,
            value: v.into(),
        }
    }

    #[test]
    fn same_values_pass_others_are_refused() {
        let b = [bound(2, "IN")];
        assert!(check(&b, &["x".into(), "IN".into()]).is_ok());
        assert!(check(&[], &[]).is_ok());
        let e = check(&b, &["x".into(), "OUT".into()])
            .unwrap_err()
            .to_string();
        assert!(e.contains("$2 = 'IN'") && e.contains("got 'OUT'"), "{e}");
        let e = check(&b, &["x".into()]).unwrap_err().to_string();
        assert!(e.contains("got none"), "{e}");
    }
}
