//! libbpf's CO-RE questions in the C subset: the `__tracec_core_*` calls the
//! inliner writes for them (sema answers them).

use super::tests_ptr::{errors, text};

#[test]
fn field_questions_ask_about_the_script_field() {
    let t = text(
        "long f(struct task_struct *t) { return bpf_core_field_exists(t->se.vruntime) + bpf_core_field_size(t->comm); }",
        "f(curtask)",
    );
    assert!(
        t.contains("__tracec_core_field_exists($__c0_0_t->se.vruntime)"),
        "{t}"
    );
    assert!(
        t.contains("__tracec_core_field_size($__c0_0_t->comm)"),
        "{t}"
    );
    // The two-argument form names the field of a null pointer of the type.
    let t = text(
        "long f(void) { return bpf_core_field_offset(struct task_struct, se.vruntime); }",
        "f()",
    );
    assert!(
        t.contains("__tracec_core_field_offset((struct task_struct *)0->se.vruntime)"),
        "{t}"
    );
}

#[test]
fn type_questions_pass_the_type() {
    let t = text(
        "enum e { A, B };\nlong f(void) { return bpf_core_type_exists(struct task_struct) + bpf_core_type_size(union u) + bpf_core_enum_value_exists(enum e, B); }",
        "f()",
    );
    assert!(
        t.contains("__tracec_core_type_exists((struct task_struct)0)"),
        "{t}"
    );
    assert!(t.contains("__tracec_core_type_size((union u)0)"), "{t}");
    assert!(
        t.contains("__tracec_core_enum_value_exists((enum e)0, B)"),
        "{t}"
    );
}

#[test]
fn fields_of_locals_are_the_files() {
    let t = text(
        "struct s { int a; char b[6]; };\nlong f(void) { struct s x = {}; return bpf_core_field_exists(x.b) * 10 + bpf_core_field_size(x.b); }",
        "f()",
    );
    assert!(!t.contains("__tracec_core"), "{t}");
    assert_eq!(
        errors(
            "struct s { int a; };\nlong f(void) { struct s x = {}; return bpf_core_field_offset(x.a); }",
            "f()"
        ),
        ["tracec does not compile this C construct: bpf_core_field_offset() of a member of a local"]
    );
}

#[test]
fn map_definitions_are_parsed() {
    let f = crate::front::csub::parse(
        "struct {\n  __uint(type, BPF_MAP_TYPE_ARRAY);\n  __uint(max_entries, 4 * 2);\n  __type(key, __u32);\n  __type(value, long);\n} slots SEC(\".maps\");\n",
        0,
        &[],
    )
    .unwrap();
    let m = &f.maps[0];
    assert_eq!(
        (m.name.as_str(), m.array, m.max_entries),
        ("slots", true, 8)
    );
    assert_eq!(
        m.key,
        crate::front::csub::CType::Int {
            bits: 32,
            signed: false
        }
    );
    assert_eq!(m.value, crate::front::csub::CType::S64);
    let e = crate::front::csub::parse(
        "struct {\n  __uint(type, BPF_MAP_TYPE_HASH);\n  __type(key, u32);\n  __type(value, u64);\n} m SEC(\".maps\");\n",
        0,
        &[],
    )
    .unwrap_err();
    assert!(
        e[0].message
            .contains("a map without `__uint(max_entries, ...)`"),
        "{e:?}"
    );
}

#[test]
fn map_lookups_name_script_map_elements() {
    let t = text(
        "struct {\n  __uint(type, BPF_MAP_TYPE_HASH);\n  __uint(max_entries, 8);\n  __type(key, u32);\n  __type(value, u64);\n} m SEC(\".maps\");\nlong f(u32 k) { u64 *v = bpf_map_lookup_elem(&m, &k); if (!v) return 0; *v += 2; return *v; }",
        "f(3)",
    );
    // The key is kept; the pointer's test is has_key, its target the element.
    assert!(
        t.contains("let $__c0_1_ = (int64)(uint64)(uint32)$__c0_0_k;"),
        "{t}"
    );
    assert!(
        t.contains("has_key(Map { name: \"m\", keys: [] }, $__c0_1_)"),
        "{t}"
    );
    assert!(
        t.contains("= (uint64)((uint64)(uint64)Map { name: \"m\""),
        "{t}"
    );
}
