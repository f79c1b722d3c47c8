//! Unstable features and the config variables of older bpftrace releases
//! (`sema/unstable.rs`), through `tracec --check`.

use std::process::{Command, Stdio};

/// Check `source` as a script file; (exit code, stderr).
fn check(name: &str, source: &str) -> (i32, String) {
    let dir = std::env::temp_dir().join(format!("tracec-unstable-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.bt"));
    std::fs::write(&file, source).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tracec"))
        .arg("--check")
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .expect("run tracec");
    let _ = std::fs::remove_file(&file);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const TSERIES: &str = "begin { @a = tseries(1, 1s, 3); @b = tseries(2, 1s, 3); exit(); }";
const WARNING: &str = "Script is using an unstable feature. To prevent this warning you must \
                       explicitly enable the unstable feature in the config e.g. unstable_tseries=enable";

#[test]
fn tseries_is_warned_about_once_by_default() {
    let (code, err) = check("default", TSERIES);
    assert_eq!(code, 0, "{err}");
    assert_eq!(err.matches(WARNING).count(), 1, "{err}");
}

#[test]
fn enabling_the_feature_silences_the_warning() {
    let (code, err) = check(
        "enable",
        &format!("config = {{ unstable_tseries=enable }} {TSERIES}"),
    );
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("unstable"), "{err}");
}

#[test]
fn error_level_refuses_each_use_with_a_location() {
    let (code, err) = check(
        "error",
        &format!("config = {{ unstable_tseries=error }} {TSERIES}"),
    );
    assert_eq!(code, 1, "{err}");
    let msg = "error: tseries feature is not enabled by default. To enable this unstable \
               feature, set the config flag to enable. unstable_tseries=enable";
    assert_eq!(err.matches(msg).count(), 2, "{err}");
    assert!(err.contains("error.bt:1:50"), "{err}");
    // Only those: the maps are still typed, so no follow-on errors.
    assert!(err.contains("2 errors"), "{err}");
}

#[test]
fn dw_ustack_is_gated_the_same_way() {
    let (code, err) = check(
        "dw",
        "config = { unstable_dw_ustack=error } profile:hz:99 { @[dw_ustack] = count(); }",
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("dw_ustack feature is not enabled by default"),
        "{err}"
    );
}

#[test]
fn old_releases_variables_are_accepted_or_renamed() {
    let (code, err) = check(
        "old",
        "config = { unstable_map_decl=enable; unstable_macro=enable } \
         let @m = lruhash(10); begin { @m[1] = 1; exit(); }",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("unstable_map_decl: this config variable is deprecated and has no effect"),
        "{err}"
    );
    let (code, err) = check("renamed", "config = { strlen=64 } begin { exit(); }");
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("strlen: this config variable has been renamed to max_strlen"),
        "{err}"
    );
}
