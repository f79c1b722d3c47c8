//! The x86-64 argument specs of `sys/sdt.h` notes: space-separated `[-]SIZE@OPERAND`,
//! where the operand is a register (`%edi`), a constant (`$5`), or memory at a
//! register plus a displacement (`-8(%rbp)`, `(%rax)`). A negative size means signed.

use tracec_meta::usdt::{ArgSpec, KIND_CONST, KIND_REG, KIND_REG_DEREF, MAX_ARGS};

/// Offsets in x86-64 `struct pt_regs` by register, every name of each register.
const REGS: &[(u16, &[&str])] = &[
    (0, &["r15", "r15d", "r15w", "r15b"]),
    (8, &["r14", "r14d", "r14w", "r14b"]),
    (16, &["r13", "r13d", "r13w", "r13b"]),
    (24, &["r12", "r12d", "r12w", "r12b"]),
    (32, &["rbp", "ebp", "bp", "bpl"]),
    (40, &["rbx", "ebx", "bx", "bl"]),
    (48, &["r11", "r11d", "r11w", "r11b"]),
    (56, &["r10", "r10d", "r10w", "r10b"]),
    (64, &["r9", "r9d", "r9w", "r9b"]),
    (72, &["r8", "r8d", "r8w", "r8b"]),
    (80, &["rax", "eax", "ax", "al"]),
    (88, &["rcx", "ecx", "cx", "cl"]),
    (96, &["rdx", "edx", "dx", "dl"]),
    (104, &["rsi", "esi", "si", "sil"]),
    (112, &["rdi", "edi", "di", "dil"]),
    (128, &["rip", "eip", "ip"]),
    (152, &["rsp", "esp", "sp", "spl"]),
];

fn reg_offset(name: &str) -> Result<u16, String> {
    REGS.iter()
        .find(|(_, names)| names.contains(&name))
        .map(|&(off, _)| off)
        .ok_or_else(|| format!("unsupported register '%{name}'"))
}

/// Every argument of a location's spec string.
pub fn parse_args(specs: &str) -> Result<Vec<ArgSpec>, String> {
    let args: Vec<ArgSpec> = specs
        .split_whitespace()
        .map(parse_arg)
        .collect::<Result<_, _>>()?;
    if args.len() > MAX_ARGS {
        return Err(format!(
            "{} arguments, more than the {MAX_ARGS} supported",
            args.len()
        ));
    }
    Ok(args)
}

/// One `[-]SIZE@OPERAND`.
pub fn parse_arg(spec: &str) -> Result<ArgSpec, String> {
    let bad = |why: &str| format!("argument '{spec}': {why}");
    let (size, operand) = spec
        .split_once('@')
        .ok_or_else(|| bad("no SIZE@ in front"))?;
    let size: i32 = size.parse().map_err(|_| bad("invalid size"))?;
    let signed = size < 0;
    let size = size.unsigned_abs();
    if ![1, 2, 4, 8].contains(&size) {
        return Err(bad("size is not 1, 2, 4 or 8"));
    }
    let mut arg = ArgSpec {
        kind: KIND_CONST,
        value: 0,
        reg_off: 0,
        size: size as u8,
        signed,
    };
    if let Some(imm) = operand.strip_prefix('$') {
        arg.value = parse_int(imm).ok_or_else(|| bad("invalid constant"))?;
    } else if let Some(reg) = operand.strip_prefix('%') {
        arg.kind = KIND_REG;
        arg.reg_off = reg_offset(reg).map_err(|e| bad(&e))?;
    } else if let Some((disp, rest)) = operand.split_once('(') {
        let reg = rest
            .strip_suffix(')')
            .and_then(|r| r.strip_prefix('%'))
            .ok_or_else(|| bad("expected DISP(%REG)"))?;
        if reg.contains(',') {
            return Err(bad("indexed addressing is not supported"));
        }
        arg.kind = KIND_REG_DEREF;
        arg.reg_off = reg_offset(reg).map_err(|e| bad(&e))?;
        arg.value = if disp.is_empty() {
            0
        } else {
            parse_int(disp).ok_or_else(|| bad("the displacement is not a number"))?
        };
    } else {
        return Err(bad("unknown operand"));
    }
    Ok(arg)
}

/// A decimal or `0x` hexadecimal integer, possibly negative.
fn parse_int(s: &str) -> Option<i64> {
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let v = match digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        Some(hex) => u64::from_str_radix(hex, 16).ok()?,
        None => digits.parse::<u64>().ok()?,
    };
    let v = v as i64;
    Some(if neg { v.wrapping_neg() } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registers_constants_and_memory() {
        let a = parse_args("-4@%edi 8@-8(%rbp) 4@$5 2@(%rax) -1@$-16 8@%r12").unwrap();
        assert_eq!(a.len(), 6);
        assert_eq!(
            (a[0].kind, a[0].reg_off, a[0].size, a[0].signed),
            (KIND_REG, 112, 4, true)
        );
        assert_eq!(
            (a[1].kind, a[1].reg_off, a[1].value),
            (KIND_REG_DEREF, 32, -8)
        );
        assert_eq!((a[2].kind, a[2].value, a[2].signed), (KIND_CONST, 5, false));
        assert_eq!(
            (a[3].kind, a[3].reg_off, a[3].value),
            (KIND_REG_DEREF, 80, 0)
        );
        assert_eq!((a[4].value, a[4].size), (-16, 1));
        assert_eq!(a[5].reg_off, 24);
        assert!(parse_args("").unwrap().is_empty());
    }

    #[test]
    fn hex_and_large_constants() {
        let a = parse_arg("8@$0xdeadbeef").unwrap();
        assert_eq!(a.value, 0xdeadbeef);
        let a = parse_arg("-8@$-579005069656919568").unwrap();
        assert_eq!(a.value, -579005069656919568);
        let a = parse_arg("8@$18446744073709551615").unwrap();
        assert_eq!(a.value, -1);
    }

    #[test]
    fn rejects_what_it_cannot_read() {
        for bad in [
            "4",
            "3@%eax",
            "4@%xmm0",
            "8@8(%rax,%rbx,2)",
            "4@foo",
            "x@%eax",
        ] {
            assert!(parse_arg(bad).is_err(), "{bad}");
        }
        let many = vec!["4@%eax"; MAX_ARGS + 1].join(" ");
        assert!(parse_args(&many).is_err());
    }
}
