//! The whole compiler: any script must compile or give diagnostics. Probes that
//! need tracefs fail (with diagnostics) because tracefs points nowhere; BEGIN, END
//! and interval probes compile fully. The script is compiled whether or not it
//! parses before preprocessing (`#define`, `#include` and `#if` lines are only
//! understood by the preprocessor that `compile` runs first).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    let options = tracec::Options {
        tracefs: "/nonexistent".into(),
        ..Default::default()
    };
    if let Err(diags) = tracec::compile(&source, &options) {
        assert!(diags.iter().any(|d| d.is_error()), "{diags:?}");
    }
});
