//! `@m++` and `@m[k] += x` on plain map values from probes firing on several CPUs at
//! once: the element is added to atomically, so no update is lost (a load-add-store would
//! drop some when two CPUs interleave).

use tracec_tests::*;

/// Two threads, each making `N` getppid calls.
const HAMMER: &str = r#"
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#define N 100000

static void *run(void *arg)
{
    (void)arg;
    for (int i = 0; i < N; i++)
        syscall(SYS_getppid);
    return 0;
}

int main(void)
{
    pthread_t a, b;
    pthread_create(&a, 0, run, 0);
    pthread_create(&b, 0, run, 0);
    pthread_join(a, 0);
    pthread_join(b, 0);
    return 0;
}
"#;

#[test]
fn concurrent_increments_lose_nothing() {
    let Some(_k) = kernel_or_skip("map_add_concurrent") else {
        return;
    };
    let dir = scratch("map_add_concurrent");
    let Some(hammer) = build_c(&dir, "hammer", HAMMER, &["-O1", "-pthread"]) else {
        panic!("cannot build the test program with cc");
    };
    let obj = compile_text(
        &dir,
        "adds",
        r#"tracepoint:syscalls:sys_enter_getppid /comm == "hammer"/ {
  @n++; @two[1] += 2; @down -= 1; --@pre; @or |= 1;
}"#,
    );
    let run = run_object_to_exit(&obj, &["-c", hammer.to_str().unwrap()]);
    let out = run.stdout_text();
    for line in [
        "@n: 200000",
        "@two[1]: 400000",
        "@down: -200000",
        "@pre: -200000",
        "@or: 1",
    ] {
        assert!(out.lines().any(|l| l == line), "no {line:?} in:\n{out}");
    }
}

#[test]
fn increment_values_and_first_insert() {
    let Some(_k) = kernel_or_skip("map_add_values") else {
        return;
    };
    // The expression forms keep their values; the first add inserts the element.
    let run = run_to_exit(
        "map_add_values",
        r#"BEGIN { $a = @x++; $b = ++@x; @y[1, "k"] += 5; @y[1, "k"] -= 7;
  printf("%d %d\n", $a, $b); exit(); }"#,
        &[],
    );
    let out = run.stdout_text();
    assert!(out.contains("0 2\n"), "{out}");
    assert!(out.contains("@x: 2\n"), "{out}");
    assert!(out.contains("@y[1, k]: -2\n"), "{out}");
}
