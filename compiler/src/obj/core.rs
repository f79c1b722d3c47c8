//! CO-RE relocations in the object: the local types they refer to in `.BTF`, and their
//! access strings.
//!
//! Every relocation names a root struct (`struct task_struct`) and a path of members.
//! The loader (libbpf, aya) matches the local root against the running kernel's types
//! by name, then each named member along the path by name (looking through anonymous
//! members), and checks that the final member's type is of a compatible kind. So the
//! local BTF only needs, per struct, the members some relocation goes through, at their
//! compile-time offsets, with the struct's name and size. All relocations of one
//! object share one local type per named struct: [`CoreTypes`] merges the paths, keeps
//! each struct's members in their compile-time order, and numbers the access strings
//! (`0:<member index>:...`) against the merged types.
//!
//! Pointer members become `void *`: matching only compares their kind.

use std::collections::{BTreeMap, HashMap};

use super::btf::{int_enc, Btf, BtfType, Member};
use crate::ir::{CoreAccess, CoreStep, CoreStruct, CoreType};

/// A struct or union of the local BTF under construction.
#[derive(Debug)]
struct Node {
    st: CoreStruct,
    /// Members by their index in the compile-time BTF.
    members: BTreeMap<u32, MemberNode>,
    /// BTF id once emitted.
    id: Option<u32>,
}

#[derive(Debug)]
struct MemberNode {
    name: String,
    bit_offset: u32,
    ty: MemberTy,
}

#[derive(Debug)]
enum MemberTy {
    Struct(usize),
    Other(CoreType),
}

/// The local types and access strings of a set of relocations.
#[derive(Debug, Default)]
pub struct CoreTypes {
    nodes: Vec<Node>,
    /// Named structs and unions by `(union, name)`.
    named: HashMap<(bool, String), usize>,
    /// For each added access: its root node and, per step, `(node, member index)`.
    paths: Vec<Path>,
    /// The enums of `ENUMVAL_*` relocations, each with the enumerators they name.
    enums: Vec<EnumNode>,
}

#[derive(Debug)]
enum Path {
    Struct(usize, Vec<(usize, u32)>),
    /// An enumerator: the enum, and the enumerator's index in the compile-time BTF.
    Enum(usize, u32),
}

/// A local enum: named like the kernel's, holding the enumerators relocations ask
/// about (by their index in the compile-time BTF) with their compile-time values.
#[derive(Debug)]
struct EnumNode {
    name: String,
    size: u32,
    signed: bool,
    values: BTreeMap<u32, (String, i32)>,
    id: Option<u32>,
}

impl CoreTypes {
    pub fn new() -> CoreTypes {
        CoreTypes::default()
    }

    fn named_node(&mut self, st: &CoreStruct) -> usize {
        let key = (st.union, st.name.clone());
        if let Some(&n) = self.named.get(&key) {
            return n;
        }
        let n = self.new_node(st);
        self.named.insert(key, n);
        n
    }

    fn new_node(&mut self, st: &CoreStruct) -> usize {
        self.nodes.push(Node {
            st: st.clone(),
            members: BTreeMap::new(),
            id: None,
        });
        self.nodes.len() - 1
    }

    /// Registers `access`; returns its handle for [`CoreTypes::finish`]. Fails on
    /// paths the loader could not follow (a member of a non-struct, an anonymous root).
    pub fn add(&mut self, access: &CoreAccess) -> Result<usize, String> {
        if access.root.name.is_empty() {
            return Err(format!("CO-RE relocation {access}: anonymous root type"));
        }
        if access.is_enum() {
            return self.add_enumerator(access);
        }
        let root = self.named_node(&access.root);
        let mut cur = root;
        let mut path = Vec::with_capacity(access.steps.len());
        for (k, step) in access.steps.iter().enumerate() {
            let last = k + 1 == access.steps.len();
            let next = match (&step.ty, last) {
                (CoreType::Struct(st), false) => {
                    let existing =
                        self.nodes[cur]
                            .members
                            .get(&step.index)
                            .and_then(|m| match m.ty {
                                MemberTy::Struct(n) => Some(n),
                                MemberTy::Other(_) => None,
                            });
                    Some(match existing {
                        Some(n) => n,
                        None if st.name.is_empty() => self.new_node(st),
                        None => self.named_node(st),
                    })
                }
                (_, false) => {
                    return Err(format!(
                        "CO-RE relocation {access}: member `{}` is not a struct",
                        step.name
                    ))
                }
                (_, true) => None,
            };
            let ty = match next {
                Some(n) => MemberTy::Struct(n),
                None => MemberTy::Other(step.ty.clone()),
            };
            let member = self.nodes[cur]
                .members
                .entry(step.index)
                .or_insert(MemberNode {
                    name: step.name.clone(),
                    bit_offset: step.bit_offset,
                    ty,
                });
            if member.name != step.name || member.bit_offset != step.bit_offset {
                return Err(format!(
                    "CO-RE relocation {access}: member #{} of `{}` described two ways",
                    step.index, self.nodes[cur].st.name
                ));
            }
            path.push((cur, step.index));
            if let Some(n) = next {
                cur = n;
            }
        }
        self.paths.push(Path::Struct(root, path));
        Ok(self.paths.len() - 1)
    }

    /// An `ENUMVAL_*` access: one step naming the enumerator.
    fn add_enumerator(&mut self, access: &CoreAccess) -> Result<usize, String> {
        let [CoreStep {
            name,
            index,
            ty: CoreType::Enumerator { value, signed },
            ..
        }] = access.steps.as_slice()
        else {
            return Err(format!(
                "CO-RE relocation {access}: an enumerator relocation names one enumerator"
            ));
        };
        let n = match self.enums.iter().position(|e| e.name == access.root.name) {
            Some(n) => n,
            None => {
                self.enums.push(EnumNode {
                    name: access.root.name.clone(),
                    size: access.root.size,
                    signed: *signed,
                    values: BTreeMap::new(),
                    id: None,
                });
                self.enums.len() - 1
            }
        };
        let e = &mut self.enums[n];
        let entry = e
            .values
            .entry(*index)
            .or_insert_with(|| (name.clone(), *value));
        if entry.0 != *name || e.size != access.root.size {
            return Err(format!(
                "CO-RE relocation {access}: enumerator #{index} of `enum {}` described two ways",
                e.name
            ));
        }
        self.paths.push(Path::Enum(n, *index));
        Ok(self.paths.len() - 1)
    }

    /// Emits the local types into `btf`; returns, per added access (in order), the
    /// root type id and the access string.
    pub fn finish(mut self, btf: &mut Btf) -> Result<Vec<(u32, String)>, String> {
        for n in 0..self.nodes.len() {
            self.emit(n, btf, 0)?;
        }
        for e in &mut self.enums {
            e.id = Some(
                btf.add(BtfType::EnumValues {
                    name: e.name.clone(),
                    size: e.size,
                    signed: e.signed,
                    values: e
                        .values
                        .values()
                        .map(|(n, v)| (n.clone(), *v as u32))
                        .collect(),
                }),
            );
        }
        let mut out = Vec::with_capacity(self.paths.len());
        for p in &self.paths {
            let (root, path) = match p {
                Path::Struct(root, path) => (*root, path),
                Path::Enum(n, index) => {
                    let e = &self.enums[*n];
                    let pos = e.values.keys().position(|k| k == index).unwrap_or(0);
                    // (An enumerator's access string is its index alone.)
                    out.push((e.id.unwrap_or(0), pos.to_string()));
                    continue;
                }
            };
            let mut s = String::from("0");
            for (node, index) in path {
                let pos = self.nodes[*node]
                    .members
                    .keys()
                    .position(|k| k == index)
                    .unwrap_or(0);
                s.push(':');
                s.push_str(&pos.to_string());
            }
            let id = self.nodes[root].id.unwrap_or(0);
            out.push((id, s));
        }
        Ok(out)
    }

    fn emit(&mut self, n: usize, btf: &mut Btf, depth: u32) -> Result<u32, String> {
        if let Some(id) = self.nodes[n].id {
            return Ok(id);
        }
        if depth > 64 {
            return Err("CO-RE types nest too deeply".into());
        }
        let children: Vec<(String, u32, Option<usize>, Option<CoreType>)> = self.nodes[n]
            .members
            .values()
            .map(|m| match &m.ty {
                MemberTy::Struct(c) => (m.name.clone(), m.bit_offset, Some(*c), None),
                MemberTy::Other(t) => (m.name.clone(), m.bit_offset, None, Some(t.clone())),
            })
            .collect();
        let mut members = Vec::with_capacity(children.len());
        for (name, bit_offset, child, ty) in children {
            let ty = match (child, ty) {
                (Some(c), _) => self.emit(c, btf, depth + 1)?,
                (None, Some(t)) => self.leaf(&t, btf, depth + 1)?,
                (None, None) => 0,
            };
            members.push(Member {
                name,
                ty,
                bit_offset,
            });
        }
        let st = &self.nodes[n].st;
        let (name, size) = (st.name.clone(), st.size);
        let t = if st.union {
            BtfType::Union {
                name,
                size,
                members,
            }
        } else {
            BtfType::Struct {
                name,
                size,
                members,
            }
        };
        let id = btf.add(t);
        self.nodes[n].id = Some(id);
        Ok(id)
    }

    /// A member type that no path goes through.
    fn leaf(&mut self, t: &CoreType, btf: &mut Btf, depth: u32) -> Result<u32, String> {
        Ok(match t {
            CoreType::Int {
                name,
                size,
                signed,
                char,
                bool,
            } => {
                let mut encoding = int_enc::NONE;
                if *signed {
                    encoding |= int_enc::SIGNED;
                }
                if *char {
                    encoding |= int_enc::CHAR;
                }
                if *bool {
                    encoding |= int_enc::BOOL;
                }
                btf.add(BtfType::Int {
                    name: name.clone(),
                    size: *size,
                    encoding,
                })
            }
            CoreType::Ptr => btf.ptr(0),
            CoreType::Array { elem, len } => {
                let e = self.leaf(elem, btf, depth + 1)?;
                btf.array(e, *len)
            }
            CoreType::Enumerator { .. } => {
                return Err("an enumerator as the type of a member".into())
            }
            CoreType::Enum { name, size, signed } => btf.add(BtfType::Enum {
                name: name.clone(),
                size: *size,
                signed: *signed,
            }),
            CoreType::Struct(st) if st.name.is_empty() => {
                let n = self.new_node(st);
                self.emit(n, btf, depth)?
            }
            CoreType::Struct(st) => {
                let n = self.named_node(st);
                self.emit(n, btf, depth)?
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::CoreKind;

    fn task() -> CoreStruct {
        CoreStruct {
            name: "task_struct".into(),
            union: false,
            size: 256,
        }
    }

    fn int_step(name: &str, index: u32, byte: u32) -> CoreStep {
        CoreStep {
            name: name.into(),
            index,
            bit_offset: byte * 8,
            ty: CoreType::Int {
                name: "int".into(),
                size: 4,
                signed: true,
                char: false,
                bool: false,
            },
        }
    }

    fn access(steps: Vec<CoreStep>) -> CoreAccess {
        CoreAccess {
            kind: CoreKind::FieldByteOffset,
            root: task(),
            steps,
        }
    }

    #[test]
    fn merges_members_in_compile_time_order() {
        let mut c = CoreTypes::new();
        c.add(&access(vec![int_step("tgid", 9, 40)])).unwrap();
        c.add(&access(vec![int_step("pid", 7, 36)])).unwrap();
        c.add(&access(vec![int_step("tgid", 9, 40)])).unwrap();
        let mut btf = Btf::new();
        let out = c.finish(&mut btf).unwrap();
        assert_eq!(out[0].1, "0:1");
        assert_eq!(out[1].1, "0:0");
        assert_eq!(out[2].1, "0:1");
        assert_eq!(out[0].0, out[1].0);
        let Some(BtfType::Struct {
            name,
            size,
            members,
        }) = btf.get(out[0].0)
        else {
            panic!("root is not a struct");
        };
        assert_eq!((name.as_str(), *size), ("task_struct", 256));
        let names: Vec<_> = members
            .iter()
            .map(|m| (m.name.as_str(), m.bit_offset))
            .collect();
        assert_eq!(names, [("pid", 36 * 8), ("tgid", 40 * 8)]);
    }

    #[test]
    fn nested_anonymous_members_get_their_own_types() {
        let anon = CoreStep {
            name: String::new(),
            index: 2,
            bit_offset: 64,
            ty: CoreType::Struct(CoreStruct {
                name: String::new(),
                union: true,
                size: 8,
            }),
        };
        let mut c = CoreTypes::new();
        c.add(&access(vec![anon.clone(), int_step("a", 1, 4)]))
            .unwrap();
        c.add(&access(vec![anon, int_step("b", 0, 0)])).unwrap();
        let mut btf = Btf::new();
        let out = c.finish(&mut btf).unwrap();
        assert_eq!(out[0].1, "0:0:1");
        assert_eq!(out[1].1, "0:0:0");
        assert!(btf
            .types()
            .iter()
            .any(|t| matches!(t, BtfType::Union { name, members, .. } if name.is_empty() && members.len() == 2)));
    }

    #[test]
    fn rejects_paths_through_non_structs() {
        let mut c = CoreTypes::new();
        let err = c
            .add(&access(vec![int_step("pid", 7, 36), int_step("x", 0, 0)]))
            .unwrap_err();
        assert!(err.contains("`pid` is not a struct"), "{err}");
    }

    fn enumerator(kind: CoreKind, name: &str, index: u32, value: i32) -> CoreAccess {
        CoreAccess {
            kind,
            root: CoreStruct {
                name: "pid_type".into(),
                union: false,
                size: 4,
            },
            steps: vec![CoreStep {
                name: name.into(),
                index,
                bit_offset: 0,
                ty: CoreType::Enumerator {
                    value,
                    signed: false,
                },
            }],
        }
    }

    #[test]
    fn enumerators_share_one_enum_in_compile_time_order() {
        let mut c = CoreTypes::new();
        c.add(&enumerator(CoreKind::EnumvalValue, "PIDTYPE_TGID", 1, 1))
            .unwrap();
        c.add(&enumerator(CoreKind::EnumvalExists, "PIDTYPE_PID", 0, 0))
            .unwrap();
        c.add(&access(vec![int_step("pid", 7, 36)])).unwrap();
        let mut btf = Btf::new();
        let out = c.finish(&mut btf).unwrap();
        // An enumerator's access string is its index in the local enum alone.
        assert_eq!(out[0].1, "1");
        assert_eq!(out[1].1, "0");
        assert_eq!(out[2].1, "0:0");
        assert_eq!(out[0].0, out[1].0);
        assert_ne!(out[0].0, out[2].0);
        let Some(BtfType::EnumValues {
            name, size, values, ..
        }) = btf.get(out[0].0)
        else {
            panic!("root is not an enum with values");
        };
        assert_eq!((name.as_str(), *size), ("pid_type", 4));
        assert_eq!(
            values,
            &[
                ("PIDTYPE_PID".to_string(), 0),
                ("PIDTYPE_TGID".to_string(), 1)
            ]
        );
        // The same index named otherwise is refused.
        assert!(c_twice().is_err());
    }

    fn c_twice() -> Result<usize, String> {
        let mut c = CoreTypes::new();
        c.add(&enumerator(CoreKind::EnumvalValue, "A", 0, 0))?;
        c.add(&enumerator(CoreKind::EnumvalValue, "B", 0, 0))
    }
}
