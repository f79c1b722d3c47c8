use super::*;
use crate::ir::types::StructField;

fn u32_at(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap())
}

#[test]
fn string_table_dedups_and_starts_empty() {
    let mut s = StringTable::default();
    assert_eq!(s.add(""), 0);
    let a = s.add("abc");
    assert_eq!(a, 1);
    let b = s.add("de");
    assert_eq!(b, 5);
    assert_eq!(s.add("abc"), a);
    assert_eq!(s.bytes(), b"\0abc\0de\0");
    assert_eq!(s.add("x\0y"), s.add("x"), "cut at NUL");
}

#[test]
fn types_are_deduplicated() {
    let mut btf = Btf::new();
    let a = btf.data_type(&DataType::U64).unwrap();
    let b = btf.data_type(&DataType::U64).unwrap();
    assert_eq!(a, b);
    assert_eq!(a, 1, "first type gets id 1");
    let s1 = btf.data_type(&DataType::Str { size: 16 }).unwrap();
    let s2 = btf.data_type(&DataType::Str { size: 16 }).unwrap();
    let s3 = btf.data_type(&DataType::Str { size: 32 }).unwrap();
    assert_eq!(s1, s2);
    assert_ne!(s1, s3);
    // u64, char, index type, char[16], char[32]
    assert_eq!(btf.types().len(), 5);
    assert_eq!(btf.size_of(s3), Some(32));
    let f1 = btf.program_func("a");
    let f2 = btf.program_func("b");
    assert_ne!(f1, f2);
    // + int, void*, proto, two funcs: the proto is shared
    assert_eq!(btf.types().len(), 10);
}

#[test]
fn int_names_and_encodings() {
    let mut btf = Btf::new();
    let s = btf.data_type(&DataType::I64).unwrap();
    let u = btf.data_type(&DataType::U32).unwrap();
    assert_eq!(
        btf.get(s),
        Some(&BtfType::Int {
            name: "long long".into(),
            size: 8,
            encoding: int_enc::SIGNED
        })
    );
    assert_eq!(
        btf.get(u),
        Some(&BtfType::Int {
            name: "unsigned int".into(),
            size: 4,
            encoding: int_enc::NONE
        })
    );
    assert!(btf
        .data_type(&DataType::Int {
            size: 3,
            signed: false
        })
        .is_err());
}

#[test]
fn struct_fields_must_fit() {
    let mut btf = Btf::new();
    let bad = DataType::Struct {
        name: "s".into(),
        size: 8,
        fields: vec![StructField {
            name: "a".into(),
            offset: 4,
            ty: DataType::U64,
        }],
    };
    assert!(btf.data_type(&bad).unwrap_err().contains("past its size"));
    let good = DataType::Struct {
        name: "my key".into(),
        size: 16,
        fields: vec![
            StructField {
                name: "0".into(),
                offset: 0,
                ty: DataType::U64,
            },
            StructField {
                name: "b".into(),
                offset: 8,
                ty: DataType::U32,
            },
        ],
    };
    let id = btf.data_type(&good).unwrap();
    let Some(BtfType::Struct { name, members, .. }) = btf.get(id) else {
        panic!("not a struct")
    };
    assert_eq!(name, "my_key");
    assert_eq!(members[0].name, "_0");
    assert_eq!(members[1].bit_offset, 64);
}

#[test]
fn encoding_layout() {
    let mut btf = Btf::new();
    let int = btf.int();
    let arr = btf.array(int, 7);
    let ptr = btf.ptr(arr);
    assert_eq!(btf.map_attr(7), ptr);
    let b = btf.encode();
    assert_eq!(&b[0..4], &[0x9f, 0xeb, 1, 0]);
    assert_eq!(u32_at(&b, 4), 24, "hdr_len");
    assert_eq!(u32_at(&b, 8), 0, "type_off");
    // INT 16 bytes, __ARRAY_SIZE_TYPE__ 16, ARRAY 24, PTR 12
    let type_len = 16 + 16 + 24 + 12;
    assert_eq!(u32_at(&b, 12), type_len);
    assert_eq!(u32_at(&b, 16), type_len, "str_off");
    let strings = b"\0int\0__ARRAY_SIZE_TYPE__\0";
    assert_eq!(u32_at(&b, 20), strings.len() as u32);
    assert_eq!(b.len(), 24 + type_len as usize + strings.len());
    assert_eq!(&b[24 + type_len as usize..], strings);
    let t = 24;
    // int: name "int" at 1, kind INT, size 4, signed 32 bits
    assert_eq!(u32_at(&b, t), 1);
    assert_eq!(u32_at(&b, t + 4), 1 << 24);
    assert_eq!(u32_at(&b, t + 8), 4);
    assert_eq!(u32_at(&b, t + 12), (1 << 24) | 32);
    // array: elem int (1), index (2), nelems 7
    let a = t + 32;
    assert_eq!(u32_at(&b, a + 4), 3 << 24);
    assert_eq!(
        [u32_at(&b, a + 12), u32_at(&b, a + 16), u32_at(&b, a + 20)],
        [1, 2, 7]
    );
    // ptr to the array (3)
    let p = a + 24;
    assert_eq!(
        [u32_at(&b, p), u32_at(&b, p + 4), u32_at(&b, p + 8)],
        [0, 2 << 24, 3]
    );
}

#[test]
fn func_var_and_datasec_encoding() {
    let mut btf = Btf::new();
    let f = btf.program_func("prog");
    let u = btf.data_type(&DataType::U64).unwrap();
    let c = btf.add(BtfType::Const { target: u });
    let v = btf.add(BtfType::Var {
        name: "g".into(),
        ty: c,
        linkage: VarLinkage::GlobalAllocated,
    });
    btf.add(BtfType::DataSec {
        name: ".rodata".into(),
        size: 8,
        vars: vec![VarSecInfo {
            var: v,
            offset: 0,
            size: 8,
        }],
    });
    let b = btf.encode();
    let mut off = 24;
    let mut kinds = Vec::new();
    let type_end = 24 + u32_at(&b, 12) as usize;
    while off < type_end {
        let info = u32_at(&b, off + 4);
        let k = (info >> 24) & 0x1f;
        let vlen = (info & 0xffff) as usize;
        kinds.push((k, vlen));
        off += 12
            + match k {
                kind::INT | kind::VAR => 4,
                kind::ARRAY => 12,
                kind::STRUCT | kind::DATASEC => 12 * vlen,
                kind::FUNC_PROTO => 8 * vlen,
                _ => 0,
            };
    }
    assert_eq!(off, type_end);
    assert_eq!(
        kinds,
        vec![
            (kind::INT, 0),
            (kind::PTR, 0),
            (kind::FUNC_PROTO, 1),
            (kind::FUNC, 1), // vlen = global linkage
            (kind::INT, 0),
            (kind::CONST, 0),
            (kind::VAR, 0),
            (kind::DATASEC, 1),
        ]
    );
    assert_eq!(f, 4);
}

#[test]
fn identifiers() {
    assert!(is_c_identifier("_a1"));
    assert!(!is_c_identifier("1a"));
    assert!(!is_c_identifier(""));
    assert!(!is_c_identifier("a.b"));
    assert_eq!(c_identifier("a.b"), "a_b");
    assert_eq!(c_identifier(""), "_");
    assert_eq!(c_identifier("9"), "_9");
}
