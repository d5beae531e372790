//! Declared arguments of BTF programs against the running kernel's prototypes.
//!
//! An fentry, fexit, LSM or `tp_btf` program (`BPF_PROG`) reads each declared argument as one
//! u64 slot of the kernel function's arguments, cast to the declared type. CO-RE relocates
//! struct fields, not prototypes: when a kernel changes a function's signature
//! (`do_sys_openat2()` returns `long` on 5.10–6.12 and `int` on 6.18 and 7.2), a program
//! declared for the old one reads wrong values, and neither libbpf nor the verifier says
//! anything. This module
//! consumes the manifest's `btf_args` and the kernel's BTF and produces one warning line per
//! argument declared wider than the kernel's (its upper bytes are garbage), per struct passed
//! by value whose size differs, and per argument the kernel does not have. A narrower scalar is
//! a cast, not a mistake. Warnings never stop a tool.

use std::path::Path;

use bccc_manifest::{BtfArg, Manifest, ProgramSpec};
use libbpf_rs::Btf;
use libbpf_rs::btf::types::{Func, FuncProto, Typedef};
use libbpf_rs::btf::{BtfKind, BtfType, HasSize as _, ReferencesType as _};

/// What kind of BTF program a section names, and the kernel entity its prototype comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// `fentry/FN`.
    Fentry(String),
    /// `fexit/FN`: the declared list may end with the return value.
    Fexit(String),
    /// `lsm/HOOK`: the prototype of `bpf_lsm_HOOK`; may end with the return value.
    Lsm(String),
    /// `tp_btf/EVENT`: the prototype behind `btf_trace_EVENT`, minus its leading `void *`.
    TpBtf(String),
}

impl Kind {
    fn of(section: &str) -> Option<Self> {
        let (kind, name) = section.split_once('/')?;
        let name = name.to_owned();
        Some(match kind {
            "fentry" => Kind::Fentry(name),
            "fexit" => Kind::Fexit(name),
            "lsm" => Kind::Lsm(name),
            "tp_btf" => Kind::TpBtf(name),
            _ => return None,
        })
    }

    /// The program kind as messages name it.
    fn word(&self) -> &'static str {
        match self {
            Kind::Fentry(_) => "fentry",
            Kind::Fexit(_) => "fexit",
            Kind::Lsm(_) => "lsm",
            Kind::TpBtf(_) => "tp_btf",
        }
    }

    /// How messages name the kernel side.
    fn target(&self) -> String {
        match self {
            Kind::Fentry(f) | Kind::Fexit(f) => f.clone(),
            Kind::Lsm(h) => format!("bpf_lsm_{h}"),
            Kind::TpBtf(e) => format!("tracepoint {e}"),
        }
    }

    fn has_return_value(&self) -> bool {
        matches!(self, Kind::Fexit(_) | Kind::Lsm(_))
    }
}

/// One parameter (or the return value) of a kernel prototype: its C-ish type name and size
/// (`None` where BTF gives none, e.g. `void`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct KernelArg {
    ty: String,
    size: Option<usize>,
    /// A struct or union passed by value.
    by_value: bool,
}

/// A kernel prototype: parameters in order, then the return type.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Proto {
    params: Vec<KernelArg>,
    ret: KernelArg,
}

/// Warnings for every BTF program of `manifest` against the BTF at `btf_path` (the running
/// kernel's). Nothing when no program declares typed arguments or the BTF cannot be read (the
/// load then reports that itself).
#[must_use]
pub(crate) fn check(manifest: &Manifest, btf_path: &Path) -> Vec<String> {
    if manifest.programs.iter().all(|p| p.btf_args.is_empty()) {
        return Vec::new();
    }
    let Ok(btf) = Btf::from_path(btf_path) else {
        return Vec::new();
    };
    manifest
        .programs
        .iter()
        .flat_map(|p| check_program(manifest, p, &btf))
        .collect()
}

fn check_program(manifest: &Manifest, prog: &ProgramSpec, btf: &Btf<'_>) -> Vec<String> {
    let Some(kind) = Kind::of(&prog.section) else {
        return Vec::new();
    };
    if prog.btf_args.is_empty() {
        return Vec::new();
    }
    // An absent function or event is the attach step's error, with its own message.
    let Some(proto) = kernel_proto(btf, &kind) else {
        return Vec::new();
    };
    let whence = format!(
        "{} {} ({}:{})",
        kind.word(),
        kind.target(),
        manifest.tool.source,
        prog.loc.line
    );
    compare(&kind, &prog.btf_args, &proto)
        .into_iter()
        .map(|w| format!("warning: {whence}: {w}"))
        .collect()
}

/// The mismatches between declared arguments and a kernel prototype, one phrase each.
fn compare(kind: &Kind, declared: &[BtfArg], proto: &Proto) -> Vec<String> {
    let n = proto.params.len();
    let target = kind.target();
    let mut out = Vec::new();
    // fexit and LSM read the return value from the slot after the last argument: a `ret`
    // declared earlier (the kernel gained a parameter) silently reads an argument instead.
    if kind.has_return_value()
        && declared.len() <= n
        && let Some(last) = declared.last().filter(|a| a.name == "ret")
    {
        out.push(format!(
            "`{} ret` is argument {} of {target}, not its return value: {target} takes {n} \
             arguments on this kernel; declare them all before ret",
            last.ty,
            declared.len()
        ));
    }
    for (i, arg) in declared.iter().enumerate() {
        let (kernel, what) = match proto.params.get(i) {
            Some(k) => (k, format!("argument {} of {target} is", i + 1)),
            None if i == n && kind.has_return_value() => (&proto.ret, format!("{target} returns")),
            None => {
                out.push(format!(
                    "`{} {}` is argument {} but {target} takes {n} on this kernel; the verifier \
                     will refuse the program",
                    arg.ty,
                    arg.name,
                    i + 1
                ));
                continue;
            }
        };
        let Some(size) = kernel.size else { continue };
        let declared = usize::try_from(arg.size).unwrap_or(usize::MAX);
        // A narrower scalar reads the slot's low bytes, as a C cast would (`int ret` for a
        // kernel `long` is how portable tools are written); a wider one reads bytes the kernel
        // never set, and a struct passed by value must match exactly.
        if arg.size == 0 || declared == size || (declared < size && !kernel.by_value) {
            continue;
        }
        out.push(format!(
            "`{} {}` is {} bytes, but on this kernel {what} {} ({size} bytes); its value may be \
             wrong",
            arg.ty, arg.name, arg.size, kernel.ty
        ));
    }
    out
}

/// The prototype a BTF program of `kind` is verified against.
fn kernel_proto(btf: &Btf<'_>, kind: &Kind) -> Option<Proto> {
    let func_proto = match kind {
        Kind::Fentry(f) | Kind::Fexit(f) => named::<Func<'_>>(btf, f)?.referenced_type(),
        Kind::Lsm(h) => named::<Func<'_>>(btf, &format!("bpf_lsm_{h}"))?.referenced_type(),
        Kind::TpBtf(e) => {
            let ptr = named::<Typedef<'_>>(btf, &format!("btf_trace_{e}"))?
                .referenced_type()
                .skip_mods_and_typedefs();
            if ptr.kind() != BtfKind::Ptr {
                return None;
            }
            btf.type_by_id::<BtfType<'_>>(ptr.next_type()?.type_id())?
        }
    };
    let proto = FuncProto::try_from(func_proto).ok()?;
    let skip = usize::from(matches!(kind, Kind::TpBtf(_)));
    let params = proto
        .iter()
        .skip(skip)
        .map(|p| describe(btf.type_by_id::<BtfType<'_>>(p.ty)))
        .collect();
    let ret = describe(btf.type_by_id::<BtfType<'_>>(proto.referenced_type_id()));
    Some(Proto { params, ret })
}

fn named<'b, K>(btf: &'b Btf<'_>, name: &str) -> Option<K>
where
    K: TryFrom<BtfType<'b>>,
{
    if name.contains('\0') {
        return None;
    }
    btf.type_by_name::<K>(name)
}

/// A kernel type's name for messages and its size.
fn describe(ty: Option<BtfType<'_>>) -> KernelArg {
    let Some(ty) = ty else {
        return KernelArg {
            ty: "void".into(),
            size: None,
            by_value: false,
        };
    };
    let name = ty
        .name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = ty.skip_mods_and_typedefs();
    let size = type_size(&base);
    let ty = match base.kind() {
        _ if ty.kind() == BtfKind::Typedef && !name.is_empty() => name,
        BtfKind::Ptr => "a pointer".into(),
        BtfKind::Struct => format!("struct {}", base_name(&base)),
        BtfKind::Union => format!("union {}", base_name(&base)),
        BtfKind::Enum | BtfKind::Enum64 => format!("enum {}", base_name(&base)),
        BtfKind::Void => "void".into(),
        _ => base_name(&base),
    };
    let by_value = matches!(base.kind(), BtfKind::Struct | BtfKind::Union);
    KernelArg { ty, size, by_value }
}

fn base_name(ty: &BtfType<'_>) -> String {
    ty.name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `sizeof` a type without modifiers or typedefs; pointers are 8 bytes (64-bit kernels).
fn type_size(ty: &BtfType<'_>) -> Option<usize> {
    use libbpf_rs::btf::types;
    match ty.kind() {
        BtfKind::Ptr => Some(8),
        BtfKind::Int => types::Int::try_from(*ty).ok().map(|t| t.size()),
        BtfKind::Float => types::Float::try_from(*ty).ok().map(|t| t.size()),
        BtfKind::Enum => types::Enum::try_from(*ty).ok().map(|t| t.size()),
        BtfKind::Enum64 => types::Enum64::try_from(*ty).ok().map(|t| t.size()),
        BtfKind::Struct => types::Struct::try_from(*ty).ok().map(|t| t.size()),
        BtfKind::Union => types::Union::try_from(*ty).ok().map(|t| t.size()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arg(ty: &str, name: &str, size: u32) -> BtfArg {
        BtfArg {
            name: name.into(),
            ty: ty.into(),
            size,
        }
    }

    fn host() -> Btf<'static> {
        Btf::from_path(crate::sys::VMLINUX_BTF).expect("this machine's kernel BTF")
    }

    fn kernel(ty: &str, size: usize) -> KernelArg {
        KernelArg {
            ty: ty.into(),
            size: Some(size),
            by_value: false,
        }
    }

    #[test]
    fn sections_name_their_kernel_side() {
        assert_eq!(
            Kind::of("fexit/do_sys_openat2"),
            Some(Kind::Fexit("do_sys_openat2".into()))
        );
        assert_eq!(
            Kind::of("lsm/file_open").unwrap().target(),
            "bpf_lsm_file_open"
        );
        assert_eq!(Kind::of("tracepoint/sched/sched_switch"), None);
        assert_eq!(Kind::of("kprobe"), None);
    }

    #[test]
    fn a_return_value_that_shrank_is_reported() {
        // Linux 7.2's do_sys_openat2 returns int; a program written for 6.x declares long.
        let proto = Proto {
            params: vec![
                kernel("int", 4),
                kernel("a pointer", 8),
                kernel("a pointer", 8),
            ],
            ret: kernel("int", 4),
        };
        let declared = [
            arg("int", "dfd", 4),
            arg("const char *", "filename", 8),
            arg("struct open_how *", "how", 8),
            arg("long", "ret", 8),
        ];
        let kind = Kind::Fexit("do_sys_openat2".into());
        assert_eq!(
            compare(&kind, &declared, &proto),
            [
                "`long ret` is 8 bytes, but on this kernel do_sys_openat2 returns int (4 bytes); \
              its value may be wrong"
            ]
        );
        // An fentry program has no return value: a fourth argument is one too many.
        let kind = Kind::Fentry("do_sys_openat2".into());
        let w = compare(&kind, &declared, &proto);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].contains("is argument 4 but do_sys_openat2 takes 3"),
            "{w:?}"
        );
        // Size 0 (unknown at build time) is not compared; a narrower scalar is a cast.
        assert!(compare(&kind, &[arg("struct x", "x", 0)], &proto).is_empty());
        assert!(compare(&kind, &[arg("short", "dfd", 2)], &proto).is_empty());
        // A `ret` in an argument's slot: the kernel's function has more parameters.
        let kind = Kind::Fexit("do_sys_openat2".into());
        let w = compare(
            &kind,
            &[arg("int", "dfd", 4), arg("long", "ret", 8)],
            &proto,
        );
        assert_eq!(
            w,
            [
                "`long ret` is argument 2 of do_sys_openat2, not its return value: \
              do_sys_openat2 takes 3 arguments on this kernel; declare them all before ret"
            ]
        );
        // A struct passed by value must match exactly.
        let by_value = Proto {
            params: vec![KernelArg {
                ty: "struct qstr".into(),
                size: Some(16),
                by_value: true,
            }],
            ret: kernel("int", 4),
        };
        assert_eq!(
            compare(&kind, &[arg("struct qstr", "q", 12)], &by_value).len(),
            1
        );
    }

    #[test]
    fn host_prototypes_match_what_the_testdata_declares() {
        let btf = host();
        let proto = kernel_proto(&btf, &Kind::Fexit("do_sys_openat2".into())).unwrap();
        assert_eq!(proto.params.len(), 3, "{proto:?}");
        assert_eq!(proto.params[0], kernel("int", 4));
        assert_eq!(proto.params[1], kernel("a pointer", 8));
        let declared = [
            arg("int", "dfd", 4),
            arg("const char *", "filename", 8),
            arg("struct open_how *", "how", 8),
            arg("int", "ret", 4),
        ];
        // This kernel (6.18, like 7.2) returns int; 5.10-6.12 return long.
        assert_eq!(proto.ret, kernel("int", 4));
        let kind = Kind::Fexit("do_sys_openat2".into());
        assert!(compare(&kind, &declared, &proto).is_empty());
        let mut old = declared.clone();
        old[3] = arg("long", "ret", 8);
        let w = compare(&kind, &old, &proto);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("returns int (4 bytes)"), "{w:?}");

        // tp_btf: the btf_trace_ prototype minus its leading void *.
        let tp = kernel_proto(&btf, &Kind::TpBtf("sched_process_exec".into())).unwrap();
        assert_eq!(
            tp.params,
            [
                kernel("a pointer", 8),
                kernel("pid_t", 4),
                kernel("a pointer", 8)
            ]
        );
        let lsm = kernel_proto(&btf, &Kind::Lsm("bprm_check_security".into())).unwrap();
        assert_eq!(lsm.params, [kernel("a pointer", 8)]);
        assert_eq!(lsm.ret, kernel("int", 4));
        assert!(kernel_proto(&btf, &Kind::Fentry("bccc_no_such_function".into())).is_none());
    }

    #[test]
    fn testdata_like_manifests_give_no_warning_here() {
        let mut manifest = Manifest {
            version: bccc_manifest::MANIFEST_VERSION,
            tool: bccc_manifest::ToolInfo {
                name: "tpbtf_exec".into(),
                about: String::new(),
                source: "tpbtf_exec.c".into(),
            },
            programs: vec![ProgramSpec {
                name: "on_exec".into(),
                section: "tp_btf/sched_process_exec".into(),
                attach: vec!["tp_btf:sched_process_exec".parse().unwrap()],
                loc: bccc_manifest::SourceLoc { line: 7, column: 1 },
                btf_args: Vec::new(),
            }],
            maps: Vec::new(),
            params: Vec::new(),
            trace_printk: false,
            tracepoint_records: Vec::new(),
        };
        manifest.programs[0].btf_args = vec![
            arg("struct task_struct *", "p", 8),
            arg("pid_t", "old_pid", 4),
            arg("struct linux_binprm *", "bprm", 8),
        ];
        assert!(check(&manifest, Path::new(crate::sys::VMLINUX_BTF)).is_empty());
        manifest.programs[0].btf_args[1] = arg("u64", "old_pid", 8);
        let w = check(&manifest, Path::new(crate::sys::VMLINUX_BTF));
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(
            w[0].starts_with("warning: tp_btf tracepoint sched_process_exec (tpbtf_exec.c:7): ")
                && w[0].contains(
                    "`u64 old_pid` is 8 bytes, but on this kernel argument 2 of \
                                  tracepoint sched_process_exec is pid_t (4 bytes)"
                ),
            "{w:?}"
        );
    }
}
