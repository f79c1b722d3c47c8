//! A program whose stack frame is over the kernel's 512 bytes is the script's
//! problem, reported as bpftrace (and LLVM) report it, at the probe: not an internal
//! compiler error.

use std::process::{Command, Stdio};

#[test]
fn an_oversized_frame_is_a_located_user_error() {
    let dir = std::env::temp_dir().join(format!("tracec-stack-limit-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Two 320-byte arrays live at once in an imported C function.
    std::fs::write(
        dir.join("big.bpf.c"),
        "static long fill(long seed)\n{\n  long a[40];\n  long b[40];\n\
         for (int i = 0; i < 40; i++) {\n    a[i] = seed + i;\n    b[i] = a[i] * 2;\n  }\n\
         return a[seed % 40] + b[(seed + 1) % 40];\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("main.bt"),
        "import \"big.bpf.c\";\nBEGIN { exit(); }\ninterval:s:1\n{\n  printf(\"%ld\\n\", fill(3));\n}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tracec"))
        .current_dir(&dir)
        .args(["main.bt", "-o", "main.o"])
        .stdin(Stdio::null())
        .output()
        .expect("run tracec");
    let err = String::from_utf8_lossy(&out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(
            "error: Looks like the BPF stack limit of 512 bytes is exceeded: this probe needs"
        ),
        "{err}"
    );
    assert!(err.contains("main.bt:3:1"), "{err}");
    assert!(!err.contains("internal compiler error"), "{err}");
}
