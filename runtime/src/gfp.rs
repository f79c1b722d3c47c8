//! `printf("%gr", flags)`: GFP (get free pages) allocation flags by name, as bpftrace
//! prints them: the compound flags that are wholly present first (most specific
//! first, each removing its bits), then the single flags left from the highest bit
//! down, then any unknown bits as one hex number; `0` for no flags.

// Single flags (linux/gfp_types.h, as bpftrace knows them).
const DMA: u64 = 0x01;
const HIGHMEM: u64 = 0x02;
const DMA32: u64 = 0x04;
const MOVABLE: u64 = 0x08;
const RECLAIMABLE: u64 = 0x10;
const HIGH: u64 = 0x20;
const IO: u64 = 0x40;
const FS: u64 = 0x80;
const ZERO: u64 = 0x100;
const NOFAIL: u64 = 0x200;
const NORETRY: u64 = 0x400;
const MEMALLOC: u64 = 0x800;
const COMP: u64 = 0x1000;
const NOMEMALLOC: u64 = 0x2000;
const HARDWALL: u64 = 0x4000;
const THISNODE: u64 = 0x8000;
const ATOMIC: u64 = 0x10000;
const ACCOUNT: u64 = 0x20000;
const DIRECT_RECLAIM: u64 = 0x40000;
const WRITE: u64 = 0x80000;
const KSWAPD_RECLAIM: u64 = 0x100000;
const ZEROTAGS: u64 = 0x200000;
const SKIP_KASAN: u64 = 0x400000;
const NOWARN: u64 = 0x800000;

/// Single flags, highest bit first (the order bpftrace's table iterates in).
const SINGLE: [(u64, &str); 24] = [
    (NOWARN, "__GFP_NOWARN"),
    (SKIP_KASAN, "__GFP_SKIP_KASAN"),
    (ZEROTAGS, "__GFP_ZEROTAGS"),
    (KSWAPD_RECLAIM, "__GFP_KSWAPD_RECLAIM"),
    (WRITE, "__GFP_WRITE"),
    (DIRECT_RECLAIM, "__GFP_DIRECT_RECLAIM"),
    (ACCOUNT, "__GFP_ACCOUNT"),
    (ATOMIC, "__GFP_ATOMIC"),
    (THISNODE, "__GFP_THISNODE"),
    (HARDWALL, "__GFP_HARDWALL"),
    (NOMEMALLOC, "__GFP_NOMEMALLOC"),
    (COMP, "__GFP_COMP"),
    (MEMALLOC, "__GFP_MEMALLOC"),
    (NORETRY, "__GFP_NORETRY"),
    (NOFAIL, "__GFP_NOFAIL"),
    (ZERO, "__GFP_ZERO"),
    (FS, "__GFP_FS"),
    (IO, "__GFP_IO"),
    (HIGH, "__GFP_HIGH"),
    (RECLAIMABLE, "__GFP_RECLAIMABLE"),
    (MOVABLE, "__GFP_MOVABLE"),
    (DMA32, "__GFP_DMA32"),
    (HIGHMEM, "__GFP_HIGHMEM"),
    (DMA, "__GFP_DMA"),
];

const KERNEL: u64 = DIRECT_RECLAIM | IO | FS | KSWAPD_RECLAIM;
const USER: u64 = KERNEL | HARDWALL;
const HIGHUSER: u64 = USER | HIGHMEM;
const HIGHUSER_MOVABLE: u64 = HIGHUSER | MOVABLE;
const TRANSHUGE_LIGHT: u64 = HIGHUSER_MOVABLE | COMP | NOMEMALLOC | NOWARN;

/// Compound flags, most specific first.
const COMPOUND: [(u64, &str); 13] = [
    (TRANSHUGE_LIGHT | DIRECT_RECLAIM, "GFP_TRANSHUGE"),
    (TRANSHUGE_LIGHT, "GFP_TRANSHUGE_LIGHT"),
    (HIGHUSER_MOVABLE, "GFP_HIGHUSER_MOVABLE"),
    (HIGHUSER, "GFP_HIGHUSER"),
    (KERNEL | ACCOUNT, "GFP_KERNEL_ACCOUNT"),
    (KERNEL, "GFP_KERNEL"),
    (USER, "GFP_USER"),
    (HIGH | ATOMIC | KSWAPD_RECLAIM, "GFP_ATOMIC"),
    (KSWAPD_RECLAIM, "GFP_NOWAIT"),
    (DIRECT_RECLAIM | KSWAPD_RECLAIM, "GFP_NOIO"),
    (DIRECT_RECLAIM | IO | KSWAPD_RECLAIM, "GFP_NOFS"),
    (DMA32, "GFP_DMA32"),
    (DMA, "GFP_DMA"),
];

/// `flags` as `GFP_KERNEL|__GFP_ZERO|0x...`.
pub fn format(flags: u64) -> String {
    if flags == 0 {
        return "0".into();
    }
    let mut parts: Vec<String> = Vec::new();
    let mut left = flags;
    for (bits, name) in COMPOUND {
        if left & bits == bits {
            parts.push(name.into());
            left &= !bits;
        }
    }
    for (bit, name) in SINGLE {
        if left & bit != 0 {
            parts.push(name.into());
            left &= !bit;
        }
    }
    if left != 0 {
        parts.push(format!("0x{left:x}"));
    }
    parts.join("|")
}

#[cfg(test)]
mod tests {
    use super::format;

    #[test]
    fn names() {
        assert_eq!(format(0), "0");
        assert_eq!(format(0x1), "GFP_DMA");
        assert_eq!(format(0x40 | 0x80 | 0x40000 | 0x100000), "GFP_KERNEL");
        assert_eq!(
            format(0x40 | 0x80 | 0x40000 | 0x100000 | 0x100),
            "GFP_KERNEL|__GFP_ZERO"
        );
        assert_eq!(
            format(0x20 | 0x10000 | 0x100000 | 0x2),
            "GFP_ATOMIC|__GFP_HIGHMEM"
        );
        // Singles highest bit first; unknown bits last in hex.
        assert_eq!(format(0x40 | 0x800000), "__GFP_NOWARN|__GFP_IO");
        assert_eq!(format(0x1_0000_0000 | 0x2), "__GFP_HIGHMEM|0x100000000");
    }
}
