//! Pointers to pointers that remember what the inner pointer points to
//! (`(struct Foo **)p`, `(int32 **)p`): `*pp` is then a `struct Foo *` or an
//! `int32 *` again, so that `(*pp)->a`, `(*pp).a` and `**pp` work as in bpftrace.
//!
//! [`Pointee`] is `Copy`, so the inner pointee is interned: a [`PtrRef`] is a
//! reference to a shared, immutable [`Pointee`].

use super::types::Pointee;
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

/// An interned [`Pointee`]: what the pointer a pointer points to points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PtrRef(&'static Pointee);

impl std::ops::Deref for PtrRef {
    type Target = Pointee;
    fn deref(&self) -> &Pointee {
        self.0
    }
}

fn interned() -> &'static Mutex<HashSet<&'static Pointee>> {
    static TABLE: OnceLock<Mutex<HashSet<&'static Pointee>>> = OnceLock::new();
    TABLE.get_or_init(|| Mutex::new(HashSet::new()))
}

impl PtrRef {
    /// The shared copy of `p` (each distinct pointee is allocated once per process).
    pub fn intern(p: Pointee) -> PtrRef {
        let mut table = interned()
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(found) = table.get(&p) {
            return PtrRef(found);
        }
        let leaked: &'static Pointee = Box::leak(Box::new(p));
        table.insert(leaked);
        PtrRef(leaked)
    }
}

/// The pointee of a pointer with `extra` more levels of indirection above a pointer
/// to `base` (`extra` 0 is `base` itself). Levels whose innermost pointee says
/// nothing (`Other`) stay the plain pointer-to-pointer [`Pointee::Ptr`].
pub fn wrap(base: Pointee, extra: u32) -> Pointee {
    if extra == 0 {
        return base;
    }
    if matches!(base, Pointee::Other) {
        return Pointee::Ptr;
    }
    let mut p = base;
    for _ in 0..extra {
        p = Pointee::PtrTo(PtrRef::intern(p));
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_the_inner_pointee() {
        let p = wrap(Pointee::Sized { size: 4 }, 2);
        let Pointee::PtrTo(inner) = p else {
            panic!("a pointer to a pointer")
        };
        let Pointee::PtrTo(inner2) = *inner else {
            panic!("two levels")
        };
        assert_eq!(*inner2, Pointee::Sized { size: 4 });
        assert_eq!(wrap(Pointee::Other, 1), Pointee::Ptr);
        assert_eq!(wrap(Pointee::Char, 0), Pointee::Char);
        // Interned: equal pointees share one allocation.
        assert_eq!(wrap(Pointee::Char, 1), wrap(Pointee::Char, 1));
    }
}
