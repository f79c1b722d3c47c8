//! `tracec -k` helper errors ([`EventKind::HelperError`](tracec_meta::EventKind)): the
//! text warning is the event's printf; with `-f json` bpftrace prints an object
//! instead, whose fields come from the same printf's format (its location prefix
//! `NAME:LINE:COL-COL: WARNING: ` and its `helper: NAME,`) and the payload.

use crate::fmtvals::strerror;
use crate::print::json;
use crate::value::read_int;

/// bpftrace's `helper_error` JSON line for a helper that returned `retcode`, located
/// by the resolved printf `format`; `None` if the format is not a helper error's.
pub fn json_line(format: &str, retcode: i64) -> Option<Vec<u8>> {
    let (loc, body) = format.split_once(": WARNING: ")?;
    // `NAME:LINE:COL-COL`, the name with `%` doubled (it was a printf format).
    let mut parts = loc.rsplitn(3, ':');
    let cols = parts.next()?;
    let line: u64 = parts.next()?.parse().ok()?;
    let name = parts.next()?.replace("%%", "%");
    let col: u64 = cols.split('-').next()?.parse().ok()?;
    let helper = body
        .split_once("helper: ")?
        .1
        .split_once(',')?
        .0
        .to_string();
    let msg = strerror((-retcode) as i32);
    Some(
        format!(
            "{{\"type\": \"helper_error\", \"msg\": {}, \"helper\": {}, \"retcode\": {retcode}, \
             \"filename\": {}, \"line\": {line}, \"col\": {col}}}\n",
            json::string(msg.as_bytes()),
            json::string(helper.as_bytes()),
            json::string(name.as_bytes()),
        )
        .into_bytes(),
    )
}

/// The return code in a helper error's payload (after the errno word).
pub fn retcode(payload: &[u8]) -> i64 {
    payload
        .get(8..)
        .and_then(|p| read_int(p, 8, true))
        .unwrap_or(0) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_line_takes_the_location_and_helper_from_the_format() {
        let f = "stdin:1:87-105: WARNING: %s\nAdditional Info - helper: probe_read_user, \
                 retcode: %d\nx\n~\n";
        let line = String::from_utf8(json_line(f, -14).unwrap()).unwrap();
        assert_eq!(
            line,
            "{\"type\": \"helper_error\", \"msg\": \"Bad address\", \"helper\": \
             \"probe_read_user\", \"retcode\": -14, \"filename\": \"stdin\", \"line\": 1, \
             \"col\": 87}\n"
        );
        assert_eq!(json_line("plain %d", -1), None);
    }

    #[test]
    fn retcode_is_the_second_word() {
        let mut p = 14u64.to_le_bytes().to_vec();
        p.extend_from_slice(&(-14i64).to_le_bytes());
        assert_eq!(retcode(&p), -14);
        assert_eq!(retcode(&[]), 0);
    }
}
