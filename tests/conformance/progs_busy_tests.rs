use super::parse::parse_suite;
use super::progs_busy::{programs_of, Busy};
use std::sync::atomic::{AtomicBool, Ordering};

#[test]
fn the_programs_a_record_names() {
    let text = "NAME a\nRUN {{BPFTRACE}} runtime/scripts/x.bt -c ./testprogs/struct_array\n\
                AFTER ./testprogs/uprobe_test; LD_PRELOAD=./testlibs/libsimple.so true\n\
                EXPECT x\n";
    let r = parse_suite("s", text).remove(0).expect("parses");
    let names: Vec<String> = programs_of(&r).into_iter().collect();
    assert_eq!(
        names,
        [
            "testlibs/libsimple.so",
            "testprogs/struct_array",
            "testprogs/uprobe_test"
        ]
    );
    let r = parse_suite("s", "NAME b\nPROG BEGIN { exit(); }\nEXPECT x\n")
        .remove(0)
        .expect("parses");
    assert!(programs_of(&r).is_empty());
}

#[test]
fn a_claimed_program_waits_for_its_release() {
    let busy = Busy::default();
    let one = || std::iter::once("testprogs/p".to_string()).collect();
    let first = busy.claim(one());
    let second_has_it = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            let _c = busy.claim(one());
            second_has_it.store(true, Ordering::SeqCst);
        });
        // Other programs are not held up.
        drop(busy.claim(std::iter::once("testprogs/q".to_string()).collect()));
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert!(!second_has_it.load(Ordering::SeqCst));
        drop(first);
    });
    assert!(second_has_it.load(Ordering::SeqCst));
}
