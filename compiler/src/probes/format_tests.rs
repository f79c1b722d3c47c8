use super::*;

const COMMON: &str = "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;
";

fn format(name: &str, fields: &str) -> String {
    format!("name: {name}\nID: 1\nformat:\n{COMMON}\n{fields}\nprint fmt: \"x\", REC->x\n")
}

fn field(name: &str, offset: u32, size: u32, ty: TpType) -> TpField {
    TpField {
        name: name.into(),
        offset,
        size,
        ty,
    }
}

fn fields(text: &str, user: bool) -> Vec<TpField> {
    parse(text, user)
        .unwrap()
        .into_iter()
        .map(|f| f.field)
        .collect()
}

#[test]
fn sys_enter_execve() {
    let text = format(
        "sys_enter_execve",
        "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:const char * filename;\toffset:16;\tsize:8;\tsigned:0;
\tfield:const char *const * argv;\toffset:24;\tsize:8;\tsigned:0;
\tfield:const char *const * envp;\toffset:32;\tsize:8;\tsigned:0;
",
    );
    let user_char_ptr = TpType::Ptr {
        user: true,
        char_ptr: true,
        pointee_ptr: false,
    };
    let user_argv = TpType::Ptr {
        user: true,
        char_ptr: true,
        pointee_ptr: true,
    };
    assert_eq!(
        fields(&text, true),
        vec![
            field("__syscall_nr", 8, 4, TpType::Int { signed: true }),
            field("filename", 16, 8, user_char_ptr),
            field("argv", 24, 8, user_argv.clone()),
            field("envp", 32, 8, user_argv),
        ]
    );
    let parsed = parse(&text, true).unwrap();
    assert_eq!(parsed[1].c_type, "const char *");
    assert_eq!(parsed[2].c_type, "const char *const *");
}

#[test]
fn sys_exit_openat() {
    let text = format(
        "sys_exit_openat",
        "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;
",
    );
    assert_eq!(
        fields(&text, true),
        vec![
            field("__syscall_nr", 8, 4, TpType::Int { signed: true }),
            field("ret", 16, 8, TpType::Int { signed: true }),
        ]
    );
}

#[test]
fn sched_switch_char_arrays() {
    let text = format(
        "sched_switch",
        "\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;
\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;
\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;
\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;
\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;
\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;
\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;
",
    );
    let got = fields(&text, false);
    assert_eq!(got.len(), 7);
    assert_eq!(
        got[0],
        field("prev_comm", 8, 16, TpType::CharArray { len: 16 })
    );
    assert_eq!(
        got[4],
        field("next_comm", 40, 16, TpType::CharArray { len: 16 })
    );
    assert_eq!(
        got[5],
        field("next_pid", 56, 4, TpType::Int { signed: true })
    );
    assert_eq!(parse(&text, false).unwrap()[0].c_type, "char[16]");
}

#[test]
fn data_loc_fields() {
    let text = format(
        "irq_handler_entry",
        "\tfield:int irq;\toffset:8;\tsize:4;\tsigned:1;
\tfield:__data_loc char[] name;\toffset:12;\tsize:4;\tsigned:0;
\tfield:__data_loc u64[] addrs;\toffset:16;\tsize:4;\tsigned:0;
\tfield:__data_loc cpumask_t mask;\toffset:20;\tsize:4;\tsigned:0;
",
    );
    let got = fields(&text, false);
    assert_eq!(got[1], field("name", 12, 4, TpType::DataLocString));
    assert_eq!(got[2], field("addrs", 16, 4, TpType::Int { signed: false }));
    assert_eq!(got[3], field("mask", 20, 4, TpType::Int { signed: false }));
    assert_eq!(parse(&text, false).unwrap()[1].c_type, "__data_loc char[]");
}

#[test]
fn kernel_pointers_and_other_arrays() {
    let text = format(
        "x",
        "\tfield:void * skbaddr;\toffset:8;\tsize:8;\tsigned:0;
\tfield:u8 saddr[4];\toffset:16;\tsize:4;\tsigned:0;
\tfield:unsigned long args[6];\toffset:24;\tsize:48;\tsigned:0;
\tfield:char buf[];\toffset:72;\tsize:0;\tsigned:0;
\tfield:unsigned long ips[];\toffset:72;\tsize:0;\tsigned:0;
\tfield:struct robust_list_head * * head_ptr;\toffset:72;\tsize:8;\tsigned:0;
\tfield:const char __user * uname;\toffset:80;\tsize:8;\tsigned:0;
\tfield:sigset_t set;\toffset:88;\tsize:16;\tsigned:0;
\tfield:char name[TASK_COMM_LEN];\toffset:104;\tsize:16;\tsigned:0;
",
    );
    let got = fields(&text, false);
    assert_eq!(
        got[0].ty,
        TpType::Ptr {
            user: false,
            char_ptr: false,
            pointee_ptr: false
        }
    );
    assert_eq!(
        got[1].ty,
        TpType::Array {
            elem_size: 1,
            len: 4,
            signed: false
        }
    );
    assert_eq!(
        got[2].ty,
        TpType::Array {
            elem_size: 8,
            len: 6,
            signed: false
        }
    );
    assert_eq!(got[3].ty, TpType::CharArray { len: 0 });
    assert_eq!(
        got[4].ty,
        TpType::Array {
            elem_size: 8,
            len: 0,
            signed: false
        }
    );
    assert_eq!(
        got[5].ty,
        TpType::Ptr {
            user: false,
            char_ptr: false,
            pointee_ptr: true
        }
    );
    assert_eq!(
        got[6].ty,
        TpType::Ptr {
            user: true,
            char_ptr: true,
            pointee_ptr: false
        }
    );
    assert_eq!(
        got[7].ty,
        TpType::Array {
            elem_size: 1,
            len: 16,
            signed: false
        }
    );
    assert_eq!(got[8].ty, TpType::CharArray { len: 16 });
}

#[test]
fn missing_signed_and_malformed_lines() {
    let ok = "\tfield:int x;\toffset:8;\tsize:4;\n";
    assert_eq!(
        fields(ok, false),
        vec![field("x", 8, 4, TpType::Int { signed: false })]
    );
    let bad = "\tfield:int;\toffset:8;\tsize:4;\tsigned:1;\n";
    assert!(parse(bad, false).unwrap_err().contains("malformed"));
    let no_offset = "\tfield:int x;\tsize:4;\tsigned:1;\n";
    assert!(parse(no_offset, false).is_err());
}

#[test]
fn pointers_to_records_keep_their_type_name() {
    let text = format(
        "sys_enter_clock_nanosleep",
        "\tfield:const struct __kernel_timespec * rqtp;\toffset:32;\tsize:8;\tsigned:0;
\tfield:union u ** pp;\toffset:40;\tsize:8;\tsigned:0;
\tfield:struct napi_struct * napi;\toffset:48;\tsize:8;\tsigned:0;
",
    );
    assert_eq!(
        fields(&text, true),
        vec![
            field(
                "rqtp",
                32,
                8,
                TpType::RecordPtr {
                    user: true,
                    name: "__kernel_timespec".into(),
                    union: false,
                }
            ),
            field(
                "pp",
                40,
                8,
                TpType::Ptr {
                    user: true,
                    char_ptr: false,
                    pointee_ptr: true,
                }
            ),
            field(
                "napi",
                48,
                8,
                TpType::RecordPtr {
                    user: true,
                    name: "napi_struct".into(),
                    union: false,
                }
            ),
        ]
    );
    assert_eq!(
        fields(&text, false)[2].ty,
        TpType::RecordPtr {
            user: false,
            name: "napi_struct".into(),
            union: false,
        }
    );
}
