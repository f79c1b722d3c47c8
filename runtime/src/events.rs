//! Ringbuf records: decoding them into what the runtime must do.
//!
//! Every record starts with `u32 kind, u32 id` ([`tracec_meta::EVENT_HEADER_SIZE`]);
//! payload offsets are relative to the byte right after that header.

use crate::format::{self, Arg};
use crate::value::{c_str, read_int, Value};
use tracec_meta::{EventKind, Metadata, EVENT_HEADER_SIZE};

/// What one record asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Bytes to write to the program's output.
    Print(Vec<u8>),
    /// `exit()`.
    Exit,
    /// `clear(@m)`: index into [`Metadata::maps`].
    Clear(usize),
    /// `zero(@m)`: index into [`Metadata::maps`].
    Zero(usize),
    /// `print(@m, top, div)`: index into [`Metadata::maps`]; 0 means "all" / "as is".
    PrintMap { map: usize, top: u64, div: u64 },
    /// `print(value)`.
    PrintValue(Value),
    /// `exit(code)`.
    ExitCode(i32),
    /// Bytes for stderr (`warnf`, `errorf`).
    Eprint(Vec<u8>),
    /// `cat(path)`: print the file.
    Cat(String),
    /// `system(cmd)`: run the command and print its output.
    System(String),
    /// `time(fmt)`: print the local time with this strftime format.
    Time(String),
    /// `unwatch(addr)`: remove the watchpoints on this address.
    Unwatch(u64),
    /// A helper failed (`tracec -k`): the text warning for stderr and bpftrace's
    /// `helper_error` JSON line.
    HelperError { text: Vec<u8>, json: Vec<u8> },
}

/// A record the runtime cannot make sense of (a compiler/runtime mismatch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEvent(pub String);

impl std::fmt::Display for BadEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed event: {}", self.0)
    }
}

fn bad(msg: impl Into<String>) -> BadEvent {
    BadEvent(msg.into())
}

/// Printf `id` of the metadata applied to the arguments in `payload`.
fn formatted(meta: &Metadata, id: usize, payload: &[u8]) -> Result<Vec<u8>, BadEvent> {
    let spec = meta
        .printfs
        .get(id)
        .ok_or_else(|| bad(format!("printf id {id} is not in the metadata")))?;
    let args = spec
        .args
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let bytes = payload.get(f.offset as usize..).unwrap_or(&[]);
            Value::decode(&f.ty, bytes)
                .map(|v| v.to_arg(&f.ty))
                .ok_or_else(|| bad(format!("printf {id} argument {i} is out of bounds")))
        })
        .collect::<Result<Vec<Arg>, _>>()?;
    Ok(format::format(&spec.format, &args))
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Decode one ringbuf record.
pub fn decode(meta: &Metadata, record: &[u8]) -> Result<Action, BadEvent> {
    if record.len() < EVENT_HEADER_SIZE {
        return Err(bad(format!(
            "{} bytes is shorter than the header",
            record.len()
        )));
    }
    let kind = read_int(record, 4, false).unwrap_or(0) as u32;
    let id = read_int(&record[4..], 4, false).unwrap_or(0) as usize;
    let payload = &record[EVENT_HEADER_SIZE..];
    match EventKind::from_u32(kind) {
        Some(EventKind::Printf) => Ok(Action::Print(formatted(meta, id, payload)?)),
        Some(EventKind::Warn) | Some(EventKind::Error) => {
            Ok(Action::Eprint(formatted(meta, id, payload)?))
        }
        // Unwound now, while the process is there; its values print the result.
        Some(EventKind::DwStack) => Ok(Action::Eprint(
            crate::dwunwind::on_snapshot(payload)
                .unwrap_or_default()
                .into_bytes(),
        )),
        Some(EventKind::HelperError) => {
            let text = formatted(meta, id, payload)?;
            let format = meta.printfs.get(id).map_or("", |p| p.format.as_str());
            let json =
                crate::helper_error::json_line(format, crate::helper_error::retcode(payload))
                    .ok_or_else(|| bad(format!("helper error {id} has no location")))?;
            Ok(Action::HelperError { text, json })
        }
        Some(EventKind::Cat) => Ok(Action::Cat(text(formatted(meta, id, payload)?))),
        Some(EventKind::System) => Ok(Action::System(text(formatted(meta, id, payload)?))),
        Some(EventKind::Unwatch) => {
            let t = text(formatted(meta, id, payload)?);
            t.trim()
                .parse()
                .map(Action::Unwatch)
                .map_err(|_| bad(format!("unwatch address '{t}' is not a number")))
        }
        Some(EventKind::Time) => {
            let spec = meta
                .printfs
                .get(id)
                .ok_or_else(|| bad(format!("time id {id} is not in the metadata")))?;
            Ok(Action::Time(spec.format.clone()))
        }
        Some(EventKind::Exit) if payload.len() >= 8 => Ok(Action::ExitCode(
            read_int(payload, 8, true).unwrap_or(0) as i32,
        )),
        Some(EventKind::Join) => {
            let spec = meta
                .joins
                .get(id)
                .ok_or_else(|| bad(format!("join id {id} is not in the metadata")))?;
            let count = read_int(payload, 8, false)
                .ok_or_else(|| bad(format!("join {id} has no count")))?;
            let n = count.min(u64::from(spec.max_args)) as usize;
            let size = spec.arg_size as usize;
            let mut out = Vec::new();
            for i in 0..n {
                let start = 8 + i * size;
                let arg = payload
                    .get(start..start + size)
                    .ok_or_else(|| bad(format!("join {id} argument {i} is out of bounds")))?;
                if i > 0 {
                    out.extend_from_slice(spec.delimiter.as_bytes());
                }
                out.extend_from_slice(c_str(arg));
            }
            out.push(b'\n');
            Ok(Action::Print(out))
        }
        Some(EventKind::Exit) => Ok(Action::Exit),
        Some(EventKind::Clear) => {
            if id >= meta.maps.len() {
                return Err(bad(format!(
                    "clear of map {id}, which is not in the metadata"
                )));
            }
            Ok(Action::Clear(id))
        }
        Some(EventKind::Zero) => {
            if id >= meta.maps.len() {
                return Err(bad(format!(
                    "zero of map {id}, which is not in the metadata"
                )));
            }
            Ok(Action::Zero(id))
        }
        Some(EventKind::PrintMap) => {
            if id >= meta.maps.len() {
                return Err(bad(format!(
                    "print of map {id}, which is not in the metadata"
                )));
            }
            let top = read_int(payload, 8, false);
            let div = payload.get(8..).and_then(|p| read_int(p, 8, false));
            let (Some(top), Some(div)) = (top, div) else {
                return Err(bad(format!("print of map {id} has no top and div")));
            };
            Ok(Action::PrintMap { map: id, top, div })
        }
        Some(EventKind::PrintValue) => {
            let ty = meta
                .print_values
                .get(id)
                .ok_or_else(|| bad(format!("print value id {id} is not in the metadata")))?;
            let v = Value::decode(ty, payload)
                .ok_or_else(|| bad(format!("print value {id} is out of bounds")))?;
            Ok(Action::PrintValue(v))
        }
        None => Err(bad(format!("unknown event kind {kind}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracec_meta::{Field, JoinSpec, MapRole, MapSpec, PrintfSpec, Ty};

    fn meta() -> Metadata {
        Metadata {
            core_relocs: Vec::new(),
            ksyms: Vec::new(),
            compiler_version: "t".into(),
            source_name: "t".into(),
            source_hash: "0".into(),
            probes: vec![],
            maps: vec![MapSpec {
                symbol: "events".into(),
                role: MapRole::Events,
            }],
            printfs: vec![
                PrintfSpec {
                    format: "pid %d comm %s x=%x\n".into(),
                    args: vec![
                        Field {
                            offset: 0,
                            ty: Ty::Int {
                                size: 4,
                                signed: true,
                            },
                        },
                        Field {
                            offset: 4,
                            ty: Ty::Str { size: 16 },
                        },
                        Field {
                            offset: 24,
                            ty: Ty::Int {
                                size: 8,
                                signed: false,
                            },
                        },
                    ],
                },
                PrintfSpec {
                    format: "hello\n".into(),
                    args: vec![],
                },
            ],
            joins: vec![JoinSpec {
                delimiter: ",".into(),
                max_args: 3,
                arg_size: 4,
            }],
            unsafe_builtins: false,
            source: None,
            params: Vec::new(),
            print_values: Vec::new(),
            skip_maps_on_exit: false,
            strftime_formats: Vec::new(),
            symbol_globals: Vec::new(),
            attach_names: Vec::new(),
            missing_probes: Default::default(),
            syscall_names: Vec::new(),
            skb_outputs: Vec::new(),
            runtime_config: Vec::new(),
            bound_args: Vec::new(),
            attach_templates: Vec::new(),
        }
    }

    fn record(kind: u32, id: u32, payload: &[u8]) -> Vec<u8> {
        let mut r = kind.to_le_bytes().to_vec();
        r.extend_from_slice(&id.to_le_bytes());
        r.extend_from_slice(payload);
        r
    }

    #[test]
    fn printf_reads_args_at_their_offsets() {
        let mut p = vec![0u8; 32];
        p[..4].copy_from_slice(&(-12i32).to_le_bytes());
        p[4..8].copy_from_slice(b"bash");
        p[24..32].copy_from_slice(&255u64.to_le_bytes());
        let a = decode(&meta(), &record(1, 0, &p)).unwrap();
        assert_eq!(a, Action::Print(b"pid -12 comm bash x=ff\n".to_vec()));
        let a = decode(&meta(), &record(1, 1, &[])).unwrap();
        assert_eq!(a, Action::Print(b"hello\n".to_vec()));
    }

    #[test]
    fn join_prints_count_args_with_delimiter() {
        let mut p = 2u64.to_le_bytes().to_vec();
        p.extend_from_slice(b"ab\0\0cd\0\0zz\0\0");
        let a = decode(&meta(), &record(2, 0, &p)).unwrap();
        assert_eq!(a, Action::Print(b"ab,cd\n".to_vec()));
        let mut p = 0u64.to_le_bytes().to_vec();
        p.extend_from_slice(&[0; 12]);
        assert_eq!(
            decode(&meta(), &record(2, 0, &p)).unwrap(),
            Action::Print(b"\n".to_vec())
        );
        // A count above max_args is clamped.
        let mut p = 99u64.to_le_bytes().to_vec();
        p.extend_from_slice(b"a\0\0\0b\0\0\0c\0\0\0");
        assert_eq!(
            decode(&meta(), &record(2, 0, &p)).unwrap(),
            Action::Print(b"a,b,c\n".to_vec())
        );
    }

    #[test]
    fn exit_and_clear() {
        assert_eq!(decode(&meta(), &record(3, 0, &[])).unwrap(), Action::Exit);
        assert_eq!(
            decode(&meta(), &record(4, 0, &[])).unwrap(),
            Action::Clear(0)
        );
    }

    #[test]
    fn print_and_zero() {
        let mut m = meta();
        m.print_values = vec![Ty::Str { size: 8 }];
        let mut p = 3u64.to_le_bytes().to_vec();
        p.extend_from_slice(&10u64.to_le_bytes());
        assert_eq!(
            decode(&m, &record(5, 0, &p)).unwrap(),
            Action::PrintMap {
                map: 0,
                top: 3,
                div: 10
            }
        );
        assert_eq!(
            decode(&m, &record(6, 0, b"abc\0\0\0\0\0")).unwrap(),
            Action::PrintValue(Value::Str(b"abc".to_vec()))
        );
        assert_eq!(decode(&m, &record(7, 0, &[])).unwrap(), Action::Zero(0));
        assert!(decode(&m, &record(5, 0, &[0; 8])).is_err());
        assert!(decode(&m, &record(5, 1, &p)).is_err());
        assert!(decode(&m, &record(6, 1, &[0; 8])).is_err());
        assert!(decode(&m, &record(6, 0, &[0; 4])).is_err());
        assert!(decode(&m, &record(7, 9, &[])).is_err());
    }

    #[test]
    fn async_calls_and_exit_codes() {
        let mut m = meta();
        m.printfs.push(PrintfSpec {
            format: "/proc/%s".into(),
            args: vec![Field {
                offset: 0,
                ty: Ty::Str { size: 8 },
            }],
        });
        m.printfs.push(PrintfSpec {
            format: "%llu".into(),
            args: vec![Field {
                offset: 0,
                ty: Ty::Int {
                    size: 8,
                    signed: false,
                },
            }],
        });
        assert_eq!(
            decode(&m, &record(13, 3, &0x1000_0000u64.to_le_bytes())).unwrap(),
            Action::Unwatch(0x1000_0000)
        );
        // Not an address: printf 2 formats a string.
        assert!(decode(&m, &record(13, 2, b"uptime\0\0")).is_err());
        let p = b"uptime\0\0";
        assert_eq!(
            decode(&m, &record(8, 2, p)).unwrap(),
            Action::Cat("/proc/uptime".into())
        );
        assert_eq!(
            decode(&m, &record(9, 2, p)).unwrap(),
            Action::System("/proc/uptime".into())
        );
        assert_eq!(
            decode(&m, &record(11, 1, &[])).unwrap(),
            Action::Eprint(b"hello\n".to_vec())
        );
        assert_eq!(
            decode(&m, &record(12, 1, &[])).unwrap(),
            Action::Eprint(b"hello\n".to_vec())
        );
        assert_eq!(
            decode(&m, &record(10, 1, &[])).unwrap(),
            Action::Time("hello\n".into())
        );
        assert_eq!(
            decode(&m, &record(3, 0, &69u64.to_le_bytes())).unwrap(),
            Action::ExitCode(69)
        );
        assert!(decode(&m, &record(8, 9, &[])).is_err());
        assert!(decode(&m, &record(10, 9, &[])).is_err());
    }

    #[test]
    fn malformed_records_are_errors_not_panics() {
        let m = meta();
        assert!(decode(&m, &[1, 0, 0]).is_err());
        assert!(decode(&m, &record(99, 0, &[])).is_err());
        assert!(decode(&m, &record(1, 7, &[])).is_err());
        assert!(decode(&m, &record(1, 0, &[0; 10])).is_err());
        assert!(decode(&m, &record(2, 5, &[])).is_err());
        assert!(decode(&m, &record(2, 0, &[1, 2])).is_err());
        let mut p = 3u64.to_le_bytes().to_vec();
        p.extend_from_slice(b"a\0\0\0");
        assert!(decode(&m, &record(2, 0, &p)).is_err());
        assert!(decode(&m, &record(4, 3, &[])).is_err());
    }
}
