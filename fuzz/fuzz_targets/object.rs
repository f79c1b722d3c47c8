//! The runtime's object reader: whatever bytes it is given, it accepts them or says
//! why not; it never panics. What it accepts, aya's parser must accept without panicking
//! too, since that is what the runtime hands it next.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if tracerun::object::parse(data).is_ok() {
        let _ = aya_obj::Object::parse(data);
    }
});
