//! Stand-in for bpftrace's hello_rust: a Rust program whose function `fun1` keeps its
//! (mangled) symbol, for listing Rust uprobes.

#[inline(never)]
fn fun1(value: i64) {
    println!("{value}");
}

fn main() {
    fun1(0);
}
