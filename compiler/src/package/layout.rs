//! The object's BTF → manifest layouts ([`bccc_manifest::Type`]) so the runtime needs no BTF
//! parser: map key/value types from the `.maps` DATASEC (libbpf's BTF-defined map syntax:
//! `__type(key, K)` is a member of type `K *`, `__uint(max_entries, N)` one of type `int (*)[N]`),
//! event types from their `BCCC_ANCHOR_TYPE` anchors or by name. Names the rewrite renamed
//! because they clash with the kernel's (`struct key__bccc`, enumerator `UNKNOWN__bccc`,
//! spec E.2) are shown as the user wrote them.

use btf_rs::{Btf, BtfType, Type as BtfT};
use fallible_iterator::FallibleIterator;

use bccc_manifest::{EnumVariant, Field, Type};

/// Why a layout could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// The BTF itself is malformed.
    #[error("the object's BTF is unreadable: {0}")]
    Btf(#[from] btf_rs::Error),
    /// A type is only forward-declared, so its layout is unknown.
    #[error("`{0}` is only declared, never defined")]
    Incomplete(String),
    /// A kind of type the runtime cannot print (functions, `void`).
    #[error("a {0} cannot be printed")]
    Unsupported(&'static str),
    /// Types nest deeper than any real program's.
    #[error("types nest more than {MAX_DEPTH} levels deep")]
    TooDeep,
}

const MAX_DEPTH: u32 = 32;

/// A type or enumerator name as the user wrote it (without a rename suffix).
fn shown(name: String) -> String {
    use crate::parse::names::{FLAVOUR_SUFFIX, SUFFIX};
    match name
        .strip_suffix(FLAVOUR_SUFFIX)
        .or_else(|| name.strip_suffix(SUFFIX))
    {
        Some(user) if !user.is_empty() => user.to_owned(),
        _ => name,
    }
}

/// One map as the object's `.maps` section declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BtfMap {
    /// The variable's (and map's) name.
    pub name: String,
    /// `__type(key, K)`, decoded.
    pub key: Option<Type>,
    /// `__type(value, V)`, decoded.
    pub value: Option<Type>,
    /// `__uint(max_entries, N)`.
    pub max_entries: Option<u32>,
}

/// The object's BTF, parsed once.
pub struct ObjectBtf {
    btf: Btf,
}

impl std::fmt::Debug for ObjectBtf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ObjectBtf")
    }
}

impl ObjectBtf {
    /// Parses raw `.BTF` bytes.
    pub fn parse(bytes: &[u8]) -> Result<ObjectBtf, LayoutError> {
        Ok(ObjectBtf {
            btf: Btf::from_bytes(bytes)?,
        })
    }

    /// The variables of the DATASEC named `section`, as (name, variable type).
    fn datasec_vars(&self, section: &str) -> Result<Vec<(String, BtfT)>, LayoutError> {
        let mut out = Vec::new();
        let mut types = self.btf.type_iter();
        while let Some(t) = types.next()? {
            let BtfT::Datasec(ds) = &t else { continue };
            if self.btf.resolve_name(ds)? != section {
                continue;
            }
            for info in &ds.variables {
                if let BtfT::Var(var) = self.btf.resolve_chained_type(info)? {
                    out.push((
                        self.btf.resolve_name(&var)?,
                        self.btf.resolve_chained_type(&var)?,
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Every map of the `.maps` section.
    pub fn maps(&self) -> Result<Vec<BtfMap>, LayoutError> {
        let mut maps = Vec::new();
        for (name, ty) in self.datasec_vars(".maps")? {
            let BtfT::Struct(def) = self.skip_qualifiers(ty)? else {
                continue;
            };
            let mut map = BtfMap {
                name,
                key: None,
                value: None,
                max_entries: None,
            };
            for member in &def.members {
                let BtfT::Ptr(ptr) = self.btf.resolve_chained_type(member)? else {
                    continue;
                };
                let target = self.btf.resolve_chained_type(&ptr)?;
                match self.btf.resolve_name(member)?.as_str() {
                    "key" => map.key = Some(self.convert(&target, None, 0)?),
                    "value" => map.value = Some(self.convert(&target, None, 0)?),
                    "max_entries" => {
                        if let BtfT::Array(a) = target {
                            map.max_entries = Some(a.len() as u32);
                        }
                    }
                    _ => {}
                }
            }
            maps.push(map);
        }
        Ok(maps)
    }

    /// The type `BCCC_ANCHOR_TYPE(anchor, T)` forced into the BTF, if that anchor exists.
    pub fn anchored(&self, anchor: &str) -> Result<Option<Type>, LayoutError> {
        let var = format!("__bccc_anchor_{anchor}");
        for (name, ty) in self.datasec_vars(".bccc.anchor")? {
            if name == var
                && let BtfT::Ptr(ptr) = ty
            {
                return Ok(Some(self.convert(
                    &self.btf.resolve_chained_type(&ptr)?,
                    None,
                    0,
                )?));
            }
        }
        Ok(None)
    }

    /// A struct, union, enum or typedef named `name` (`struct ` / `union ` / `enum ` prefixes
    /// allowed); complete definitions win over forward declarations.
    pub fn by_name(&self, name: &str) -> Result<Option<Type>, LayoutError> {
        let bare = ["struct ", "union ", "enum "]
            .iter()
            .find_map(|p| name.strip_prefix(p))
            .unwrap_or(name)
            .trim();
        let candidates = self.btf.resolve_types_by_name(bare)?;
        let rank = |t: &BtfT| match t {
            BtfT::Struct(_) | BtfT::Union(_) => 0,
            BtfT::Typedef(_) => 1,
            BtfT::Enum(_) | BtfT::Enum64(_) => 2,
            _ => 3,
        };
        match candidates
            .into_iter()
            .filter(|t| rank(t) < 3)
            .min_by_key(rank)
        {
            Some(t) => Ok(Some(self.convert(&t, None, 0)?)),
            None => Ok(None),
        }
    }

    fn skip_qualifiers(&self, mut ty: BtfT) -> Result<BtfT, LayoutError> {
        for _ in 0..MAX_DEPTH {
            match &ty {
                BtfT::Typedef(_)
                | BtfT::Const(_)
                | BtfT::Volatile(_)
                | BtfT::Restrict(_)
                | BtfT::TypeTag(_) => {
                    let Some(bt) = ty.as_btf_type() else {
                        return Ok(ty);
                    };
                    ty = self.btf.resolve_chained_type(bt)?;
                }
                _ => return Ok(ty),
            }
        }
        Err(LayoutError::TooDeep)
    }

    /// Converts one BTF type. `hint` names an anonymous struct/enum after its typedef.
    fn convert(&self, ty: &BtfT, hint: Option<String>, depth: u32) -> Result<Type, LayoutError> {
        if depth > MAX_DEPTH {
            return Err(LayoutError::TooDeep);
        }
        let named = |bt: &dyn BtfType| -> Result<Option<String>, LayoutError> {
            let name = self.btf.resolve_name(bt)?;
            Ok(if name.is_empty() {
                hint.clone().map(shown)
            } else {
                Some(shown(name))
            })
        };
        Ok(match ty {
            BtfT::Int(i) => {
                let name = self.btf.resolve_name(i)?;
                if i.is_bool() || name == "_Bool" {
                    Type::Bool
                } else {
                    Type::Int {
                        size: i.size() as u32,
                        signed: i.is_signed(),
                        char: i.is_char() || name == "char",
                    }
                }
            }
            BtfT::Float(f) => Type::Float {
                size: f.size() as u32,
            },
            BtfT::Ptr(_) => Type::Pointer,
            BtfT::Array(a) => {
                let elem = self.convert(&self.btf.resolve_chained_type(a)?, None, depth + 1)?;
                Type::Array {
                    elem: Box::new(elem),
                    len: a.len() as u32,
                }
            }
            BtfT::Struct(s) | BtfT::Union(s) => {
                let mut fields = Vec::with_capacity(s.members.len());
                for m in &s.members {
                    fields.push(Field {
                        name: self.btf.resolve_name(m)?,
                        bit_offset: m.bit_offset(),
                        // Structs with kind_flag set report 0 for ordinary members.
                        bit_size: m.bitfield_size().filter(|&b| b != 0),
                        ty: self.convert(&self.btf.resolve_chained_type(m)?, None, depth + 1)?,
                    });
                }
                let union = matches!(ty, BtfT::Union(_));
                Type::Struct {
                    name: named(s)?,
                    size: s.size() as u32,
                    union,
                    fields,
                }
            }
            BtfT::Enum(e) => {
                let mut variants = Vec::with_capacity(e.members.len());
                for m in &e.members {
                    let value = if e.is_signed() {
                        i64::from(m.val() as i32)
                    } else {
                        i64::from(m.val())
                    };
                    variants.push(EnumVariant {
                        name: shown(self.btf.resolve_name(m)?),
                        value,
                    });
                }
                Type::Enum {
                    name: named(e)?,
                    size: e.size() as u32,
                    signed: e.is_signed(),
                    variants,
                }
            }
            BtfT::Enum64(e) => {
                let mut variants = Vec::with_capacity(e.members.len());
                for m in &e.members {
                    variants.push(EnumVariant {
                        name: shown(self.btf.resolve_name(m)?),
                        value: m.val() as i64,
                    });
                }
                Type::Enum {
                    name: named(e)?,
                    size: e.size() as u32,
                    signed: e.is_signed(),
                    variants,
                }
            }
            BtfT::Typedef(t) => {
                let name = self.btf.resolve_name(t)?;
                self.convert(&self.btf.resolve_chained_type(t)?, Some(name), depth + 1)?
            }
            BtfT::Const(q) | BtfT::Volatile(q) | BtfT::Restrict(q) => {
                self.convert(&self.btf.resolve_chained_type(q)?, hint, depth + 1)?
            }
            BtfT::TypeTag(t) => {
                self.convert(&self.btf.resolve_chained_type(t)?, hint, depth + 1)?
            }
            BtfT::Fwd(f) => return Err(LayoutError::Incomplete(self.btf.resolve_name(f)?)),
            other => return Err(LayoutError::Unsupported(other.name())),
        })
    }
}
