//! printf format strings: parsing (shared by validation and metadata).

/// What a conversion consumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvKind {
    /// `%d %i %u %x %X %o %c` with any flags, width, precision and length modifier.
    Int,
    /// `%s`.
    Str,
    /// `%p`.
    Ptr,
    /// `%r`, `%rx`, `%rh`: a `buf()`.
    Buf,
}

/// One argument-consuming conversion of a format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversion {
    pub kind: ConvKind,
    /// The conversion as written, e.g. `%-10s`.
    pub text: String,
}

/// Parse a format into its conversions (`%%` consumes nothing).
pub fn parse(fmt: &str) -> Result<Vec<Conversion>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = fmt.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '%' {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        if chars.get(i) == Some(&'%') {
            i += 1;
            continue;
        }
        while matches!(chars.get(i), Some('-' | '+' | ' ' | '#' | '0')) {
            i += 1;
        }
        if chars.get(i) == Some(&'*') {
            return Err("printf: '*' widths are not supported".into());
        }
        while chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        if chars.get(i) == Some(&'.') {
            i += 1;
            if chars.get(i) == Some(&'*') {
                return Err("printf: '*' precisions are not supported".into());
            }
            while chars.get(i).is_some_and(|c| c.is_ascii_digit()) {
                i += 1;
            }
        }
        while matches!(chars.get(i), Some('h' | 'l' | 'z' | 'j' | 't')) {
            i += 1;
        }
        // A `%` that starts no conversion bpftrace knows is printed as written (its
        // format grammar matches conversions only; the text around them is literal):
        // `"%5s%\n"` ends in a literal `%`, and so does `"50%"`.
        let Some(&c) = chars.get(i) else {
            break;
        };
        i += 1;
        let kind = match c {
            'd' | 'i' | 'u' | 'x' | 'X' | 'o' | 'c' => ConvKind::Int,
            's' => ConvKind::Str,
            'p' => ConvKind::Ptr,
            'r' => {
                if matches!(chars.get(i), Some('x' | 'h')) {
                    i += 1;
                }
                ConvKind::Buf
            }
            // `%gr`: GFP flags by name (bpftrace has no floating point, so no `%g`).
            'g' if chars.get(i) == Some(&'r') => {
                i += 1;
                ConvKind::Int
            }
            // Conversions of C that bpftrace recognizes but cannot print.
            'e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'a' | 'A' | 'n' => {
                return Err(format!(
                    "printf: unsupported conversion '%{c}' in '{}'",
                    chars[start..i].iter().collect::<String>()
                ))
            }
            _ => {
                i = start + 1;
                continue;
            }
        };
        out.push(Conversion {
            kind,
            text: chars[start..i].iter().collect(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(f: &str) -> Vec<ConvKind> {
        parse(f).unwrap().into_iter().map(|c| c.kind).collect()
    }

    #[test]
    fn conversions() {
        use ConvKind::*;
        assert_eq!(kinds("no args\n"), vec![]);
        assert_eq!(kinds("%d %s %%"), vec![Int, Str]);
        assert_eq!(
            kinds("%-10s %5d %llu %lx %hhu %08X %c %p %.3s"),
            vec![Str, Int, Int, Int, Int, Int, Int, Ptr, Str]
        );
        let c = parse("a %-10s b").unwrap();
        assert_eq!(c[0].text, "%-10s");
        let c = parse("flags %-20gr.").unwrap();
        assert_eq!((c[0].kind, c[0].text.as_str()), (Int, "%-20gr"));
    }

    #[test]
    fn errors() {
        assert!(parse("%f")
            .unwrap_err()
            .contains("unsupported conversion '%f'"));
        assert!(parse("%g").unwrap_err().contains("'%g'"));
        assert!(parse("%*d").unwrap_err().contains("'*'"));
    }

    #[test]
    fn lone_percent_is_literal() {
        use ConvKind::*;
        assert_eq!(kinds("50%"), vec![]);
        assert_eq!(kinds("%q|%-"), vec![]);
        assert_eq!(kinds("%5s%\n"), vec![Str]);
        assert_eq!(kinds("a % b %d"), vec![Int]);
        let c = parse("%%%5s%").unwrap();
        assert_eq!(c[0].text, "%5s");
    }
}
