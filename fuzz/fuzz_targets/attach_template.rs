//! Attach points completed from positional arguments at run time
//! (`tracec_meta::attach_template`): the template and the arguments are user input.
//! Substitution and resolution against every kind of compiled attach point give a
//! value or bpftrace's message, never a panic.
//!
//! Input: `TEMPLATE \0 ARG1 \0 ARG2 ...` (lossy UTF-8).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tracec_meta::attach_template::{
    interval_period, params_in, parse_count, parse_rate, resolve, substitute,
};
use tracec_meta::Attach;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.split('\0');
    let template = parts.next().unwrap_or("");
    let args: Vec<String> = parts.map(str::to_string).collect();

    for p in params_in(template) {
        assert!(p.start < p.end && p.end <= template.len());
        assert!(template.is_char_boundary(p.start) && template.is_char_boundary(p.end));
    }
    let full = substitute(template, &args);
    let compiled = [
        Attach::Interval { period_ns: 1 },
        Attach::Profile {
            hz: 99,
            period_ns: 0,
        },
        Attach::PerfCounter {
            hardware: false,
            event: "cpu-clock".into(),
            config: 0,
            period: 1,
        },
        Attach::Uprobe {
            path: String::new(),
            symbol: String::new(),
            offset: 0,
            ret: false,
        },
        Attach::Uprobe {
            path: String::new(),
            symbol: String::new(),
            offset: 0,
            ret: true,
        },
        Attach::Kprobe {
            function: String::new(),
            offset: 0,
            ret: false,
        },
        Attach::Kprobe {
            function: String::new(),
            offset: 0,
            ret: true,
        },
        Attach::Usdt {
            path: String::new(),
            provider: String::new(),
            name: String::new(),
        },
        Attach::Watchpoint {
            address: 1,
            length: 8,
            mode: "rw".into(),
            asynchronous: false,
        },
        Attach::Begin,
    ];
    for c in &compiled {
        if let Ok(a) = resolve(c, &full) {
            let _ = tracec_meta::attach_template::func_of(&a);
        }
    }
    for a in &args {
        let _ = parse_count(a);
    }
    let rest: Vec<&str> = full.split(':').skip(1).collect();
    if let Ok(rate) = parse_rate(&rest) {
        let _ = interval_period(rate);
    }
});
