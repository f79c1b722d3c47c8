//! The front end alone: any bytes (as lossy UTF-8) must parse or give diagnostics,
//! never panic, and every diagnostic span must lie inside the script.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    if let Err(diags) = tracec::front::parse(&source) {
        assert!(!diags.is_empty());
        for d in &diags {
            assert!(d.span.start <= d.span.end, "{d:?}");
            assert!(d.span.end as usize <= source.len(), "{d:?}");
        }
        // Rendering must cope with every span we produce.
        let _ = tracec::diag::render("fuzz.bt", &source, &diags, false);
    }
});
