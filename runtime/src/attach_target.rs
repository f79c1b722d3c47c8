//! Watchpoint names with the traced binary, as bpftrace prints them.
//!
//! bpftrace names a watchpoint after the process it watches:
//! `watchpoint:BINARY:ADDRESS:LENGTH:MODE`, where BINARY is the `-c` command's
//! executable or `/proc/PID/exe` for `-p PID` (and nothing for a kernel address).
//! The compiler does not know the process, so the runtime completes the names.

use tracec_meta::AttachName;

/// The binary a watchpoint names: the `-c` command's executable, else `-p`'s
/// `/proc/PID/exe`, else none.
pub fn watchpoint_target() -> Option<String> {
    if let Some(p) = crate::load_more::child_program() {
        return Some(p.display().to_string());
    }
    crate::load_more::target_pid().map(|pid| format!("/proc/{pid}/exe"))
}

/// `names` with `target` after the provider of every watchpoint name.
pub fn with_target(mut names: Vec<AttachName>, target: Option<&str>) -> Vec<AttachName> {
    let Some(target) = target else {
        return names;
    };
    for n in &mut names {
        for provider in ["watchpoint:", "asyncwatchpoint:"] {
            if let Some(rest) = n.probe.strip_prefix(provider) {
                n.probe = format!("{provider}{target}:{rest}");
                break;
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(probe: &str) -> AttachName {
        AttachName {
            probe: probe.into(),
            func: String::new(),
        }
    }

    #[test]
    fn watchpoints_name_their_binary() {
        let names = vec![
            name("watchpoint:268435456:8:w"),
            name("asyncwatchpoint:16:1:rw"),
            name("interval:ms:1"),
        ];
        let out = with_target(names.clone(), Some("/proc/42/exe"));
        let probes: Vec<_> = out.iter().map(|n| n.probe.as_str()).collect();
        assert_eq!(
            probes,
            [
                "watchpoint:/proc/42/exe:268435456:8:w",
                "asyncwatchpoint:/proc/42/exe:16:1:rw",
                "interval:ms:1"
            ]
        );
        // A kernel watchpoint (no process) keeps its name.
        assert_eq!(with_target(names.clone(), None), names);
    }
}
