//! The count of events the ring buffer had no room for, as the programs keep it.

use super::Object;
use crate::{load, sys, Error};
use aya::Ebpf;
use std::os::fd::RawFd;

/// Where the programs count the events the ringbuf had no room for.
pub(super) enum LostCounter {
    /// Objects of format 1.4 and older: a per-CPU array of one `u64`.
    PerCpu(RawFd),
    /// A `u64` in the `.bss` map (`MapRole::LostCounter`), added to atomically.
    Global {
        fd: RawFd,
        value_size: usize,
        offset: usize,
    },
}

impl LostCounter {
    pub(super) fn find(obj: &Object, ebpf: &Ebpf) -> Result<Option<LostCounter>, Error> {
        if let Some(spec) = obj.meta.lost_counter() {
            let var = crate::object::data_var(&obj.bytes, &spec.symbol).ok_or_else(|| {
                Error::new(format!(
                    "lost-events counter {} is not in the object",
                    spec.symbol
                ))
            })?;
            return Ok(Some(LostCounter::Global {
                fd: load::map_fd(ebpf, &var.section)?,
                value_size: var.section_size as usize,
                offset: var.offset as usize,
            }));
        }
        Ok(match obj.meta.lost_map() {
            Some(spec) => Some(LostCounter::PerCpu(load::map_fd(ebpf, &spec.symbol)?)),
            None => None,
        })
    }

    /// The total so far; `None` if the map cannot be read.
    pub(super) fn read(&self, ncpus: usize) -> Option<u64> {
        let key = 0u32.to_le_bytes();
        let word = |c: &[u8]| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]));
        match *self {
            LostCounter::PerCpu(fd) => {
                let value = sys::map_lookup(fd, &key, 8 * ncpus).ok()??;
                Some(
                    value
                        .chunks_exact(8)
                        .map(word)
                        .fold(0u64, u64::wrapping_add),
                )
            }
            LostCounter::Global {
                fd,
                value_size,
                offset,
            } => {
                let value = sys::map_lookup(fd, &key, value_size).ok()??;
                value.get(offset..offset + 8).map(word)
            }
        }
    }
}
