//! `Program`: what the analyzer learned from the user's file. Plain data with spans; no libclang
//! types. The rewrite stage turns it into libbpf C; the package stage into a manifest.

use bccc_manifest::{AttachSpec, Builtin, MapKind, ParamType, ParamValue};

use super::Section;
use crate::parse::TracepointFormat;
use crate::source::Span;

/// Everything later stages need to know about one BCC-dialect file.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Program {
    /// Map declarations, in source order.
    pub maps: Vec<MapDecl>,
    /// BPF programs (probe functions), in source order.
    pub probes: Vec<Probe>,
    /// Calls of map methods (`m.lookup(&k)`), in source order.
    pub calls: Vec<MapCall>,
    /// Implicit kernel-memory reads that must become CO-RE reads.
    pub derefs: Vec<KernelDeref>,
    /// `sizeof` of kernel types, relocated (spec B.5).
    pub sizes: Vec<KernelSize>,
    /// Uses of tracepoint record fields (`args->field`), in every function.
    pub tp_args: Vec<TracepointArg>,
    /// `const volatile` globals: parameters set before load.
    pub params: Vec<ParamDecl>,
    /// `#include` directives of kernel headers that vmlinux.h replaces.
    pub includes: Vec<Span>,
    /// Static helper functions with a body in the main file (they become `static __always_inline`).
    pub helpers: Vec<HelperFn>,
    /// The tool's help text (the file's leading comment), possibly empty.
    pub about: String,
    /// Layouts of the tracepoints the probes use (from the build host's format files).
    pub tracepoints: Vec<TracepointFormat>,
    /// Tokens of the user's file spelled differently in the rewritten C: names the file shares
    /// with vmlinux.h or libbpf's headers (spec E.2).
    pub renamed: Vec<RenamedName>,
    /// The C identifier of each renamed global (map, parameter, function, variable), keyed by
    /// the user's name; names not listed are their own C identifiers.
    pub c_names: Vec<(String, String)>,
}

impl Program {
    /// The identifier the rewritten C (and so the object) gives the user's global `name`: itself,
    /// unless it clashes with a header's declaration (then `name___bccc`).
    #[must_use]
    pub fn c_name<'a>(&'a self, name: &'a str) -> &'a str {
        self.c_names
            .iter()
            .find(|(user, _)| user == name)
            .map_or(name, |(_, c)| c.as_str())
    }
}

/// One token of the user's file that the rewrite spells differently (spec E.2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RenamedName {
    /// The token.
    pub span: Span,
    /// The spelling in the rewritten C (`mnt_namespace___bccc`).
    pub to: String,
    /// The tag of the definition of a kernel flavour: the rewrite gives the definition
    /// `preserve_access_index`, so its field accesses relocate against the kernel's type.
    pub flavour: bool,
}

/// One BCC map declaration such as `BPF_HASH(counts, u32, u64)`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MapDecl {
    /// The variable name.
    pub name: String,
    /// Which kind of map the macro declares.
    #[serde(serialize_with = "display")]
    pub kind: MapKind,
    /// Key type as C text valid in the rewritten file (`u32`, `struct key_t`), if the map has keys.
    pub key: Option<CType>,
    /// Value type as C text, if the map has values.
    pub value: Option<CType>,
    /// Capacity (entries; for ring buffers, bytes).
    pub max_entries: u32,
    /// `map_flags`.
    pub flags: u64,
    /// How the runtime should show it, decided from its uses and hints.
    pub display: DisplayHint,
    /// The whole declaration (the macro invocation), which the rewrite replaces.
    pub span: Span,
    /// For event maps: the submitted type as C spells it (`struct data_t`), for the BTF anchor.
    pub event_ctype: Option<String>,
}

/// A C type as the analyzer saw it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CType {
    /// The spelling to use in generated C.
    pub spelling: String,
    /// `sizeof` on the BPF target.
    pub size: u64,
}

/// The display role the analyzer chose for a map; the package stage resolves layouts from BTF.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum DisplayHint {
    /// Bookkeeping: not printed.
    Hidden,
    /// An output stream whose events have the named C type (the type of `*data` at the submit).
    Events {
        /// Type name as it appears in BTF (`data_t` for `struct data_t`, or a typedef name).
        event_type: String,
    },
    /// Log2 histogram (`BPF_HISTOGRAM`, or keys computed with `bpf_log2l`/`bpf_log2`).
    Log2Hist {
        /// Column title.
        val_type: String,
    },
    /// Linear histogram (hint only).
    LinearHist {
        /// Column title.
        val_type: String,
    },
    /// Count table, sorted by value (maps updated with `increment` or `lookup_or_try_init`).
    Counts,
}

/// One BPF program.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Probe {
    /// The C function name after rewriting (libbpf's program name).
    pub function: String,
    /// How the function became a program.
    pub kind: ProbeKind,
    /// The `SEC(...)` of the rewritten function.
    pub section: Section,
    /// Where the runtime attaches it (from the name, directives, or `--attach`).
    pub attach: Vec<AttachSpec>,
    /// The function's whole definition.
    pub span: Span,
    /// The function's name token.
    pub name_span: Span,
    /// The declarator the rewrite replaces: from the function's start (or the probe macro) to
    /// just before the body's `{`.
    pub header_span: Span,
    /// Where the body's `{` is.
    pub body_start: u32,
    /// The parameters in order (the first is the context).
    pub params: Vec<ProbeParam>,
    /// Whether the header is a macro invocation (`TRACEPOINT_PROBE(...)`), not C text.
    pub from_macro: bool,
    /// A `pt_regs` probe on a syscall entry point (`syscall__NAME`, or kprobes on `sys_*` /
    /// `__x64_sys_*`): its extra parameters are the syscall's arguments, which kernels with
    /// syscall wrappers pass in a second `pt_regs` (libbpf's `BPF_KSYSCALL`).
    pub syscall_args: bool,
}

/// One parameter of a probe function.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProbeParam {
    /// Its name.
    pub name: String,
    /// Its type, spelled for C.
    pub ty: String,
    /// The declaration `T name`.
    pub span: Span,
    /// `sizeof` its type, when complete.
    pub size: Option<u64>,
}

/// How a function became a BPF program.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbeKind {
    /// `TRACEPOINT_PROBE(category, event)` or a function taking `struct tracepoint__cat__ev *`.
    Tracepoint {
        /// Category.
        category: String,
        /// Event.
        event: String,
    },
    /// `RAW_TRACEPOINT_PROBE(event)`.
    RawTracepoint {
        /// Event.
        event: String,
    },
    /// `kprobe__fn` / `kretprobe__fn`.
    Kprobe {
        /// Kernel function.
        symbol: String,
        /// Return probe.
        retprobe: bool,
    },
    /// `KFUNC_PROBE` / `KRETFUNC_PROBE`.
    Kfunc {
        /// Kernel function.
        symbol: String,
        /// fexit.
        ret: bool,
    },
    /// `LSM_PROBE(hook, args...)`: a BPF LSM program on the kernel's `bpf_lsm_<hook>`.
    Lsm {
        /// LSM hook name, without the `bpf_lsm_` prefix.
        hook: String,
    },
    /// `TP_BTF_PROBE(event, args...)`: a BTF-typed raw tracepoint (`tp_btf/<event>`) whose
    /// arguments are the tracepoint's `TP_PROTO` arguments.
    TpBtf {
        /// Tracepoint name (`btf_trace_<event>` in the kernel's BTF).
        event: String,
    },
    /// A plain `struct pt_regs *ctx` function attached only by `--attach` or a directive.
    Attached,
}

/// One call of a map method.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MapCall {
    /// Index into [`Program::maps`].
    pub map: usize,
    /// The method.
    pub method: Method,
    /// The whole call expression `m.method(args)`.
    pub span: Span,
    /// Each argument's span, in order.
    pub args: Vec<Span>,
    /// Whether the result is dereferenced on the spot (`m.lookup(&k)->x`), so the rewrite must
    /// give libbpf's `void *` its BCC type.
    pub typed_result: bool,
}

/// BCC map methods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// `lookup(&k)`
    Lookup,
    /// `update(&k, &v)`
    Update,
    /// `insert(&k, &v)`
    Insert,
    /// `delete(&k)`
    Delete,
    /// `increment(k[, n])`
    Increment,
    /// `atomic_increment(k[, n])`
    AtomicIncrement,
    /// `lookup_or_try_init(&k, &init)`
    LookupOrTryInit,
    /// `lookup_or_init(&k, &init)` (returns 0 from the caller on failure)
    LookupOrInit,
    /// `perf_submit(ctx, &data, size)`
    PerfSubmit,
    /// `ringbuf_output(&data, size, flags)`
    RingbufOutput,
    /// `ringbuf_reserve(size)`
    RingbufReserve,
    /// `ringbuf_submit(p, flags)`
    RingbufSubmit,
    /// `ringbuf_discard(p, flags)`
    RingbufDiscard,
    /// `get_stackid(ctx, flags)`
    GetStackid,
}

impl Method {
    /// Every method, in the order help texts list them.
    pub const ALL: [Method; 14] = [
        Method::Lookup,
        Method::Update,
        Method::Insert,
        Method::Delete,
        Method::Increment,
        Method::AtomicIncrement,
        Method::LookupOrTryInit,
        Method::LookupOrInit,
        Method::PerfSubmit,
        Method::RingbufOutput,
        Method::RingbufReserve,
        Method::RingbufSubmit,
        Method::RingbufDiscard,
        Method::GetStackid,
    ];

    /// The BCC spelling (`lookup_or_try_init`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Method::Lookup => "lookup",
            Method::Update => "update",
            Method::Insert => "insert",
            Method::Delete => "delete",
            Method::Increment => "increment",
            Method::AtomicIncrement => "atomic_increment",
            Method::LookupOrTryInit => "lookup_or_try_init",
            Method::LookupOrInit => "lookup_or_init",
            Method::PerfSubmit => "perf_submit",
            Method::RingbufOutput => "ringbuf_output",
            Method::RingbufReserve => "ringbuf_reserve",
            Method::RingbufSubmit => "ringbuf_submit",
            Method::RingbufDiscard => "ringbuf_discard",
            Method::GetStackid => "get_stackid",
        }
    }

    /// The method spelled `name`, if BCC has it.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// An implicit read of kernel (or user) memory through an external pointer (spec B.3, B.5):
/// `t->real_parent->tgid` with `t` a kernel pointer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct KernelDeref {
    /// The whole expression the read replaces.
    pub span: Span,
    /// Whether the memory is user memory (`__user`, uprobe arguments, syscall arguments).
    pub user: bool,
    /// Whether the form's operand (the chain's base, the bitfield's container, the lvalue) is
    /// a path from a plain name through external memory only. Only then may one CO-RE builtin
    /// wrap it whole: clang relocates every member access inside `__builtin_preserve_access_index`
    /// (a local struct's too, which then fails to load) and rejects reads nested inside it.
    pub plain: bool,
    /// How the read is written.
    pub form: DerefForm,
}

/// `sizeof` of a kernel type, which CO-RE gives the target's value (spec B.5).
#[derive(Debug, Clone, serde::Serialize)]
pub struct KernelSize {
    /// The whole `sizeof(...)`.
    pub span: Span,
    /// What is measured.
    pub form: SizeForm,
}

/// What a [`KernelSize`] measures.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum SizeForm {
    /// `sizeof(struct K)`: `bpf_core_type_size(struct K)`.
    Type {
        /// The type as the user wrote it.
        spelling: String,
    },
    /// `sizeof(*p)`: `bpf_core_type_size(typeof(*p))`.
    TypeOf {
        /// The operand.
        expr: Span,
    },
    /// `sizeof(p->f)`: `bpf_core_field_size(p->f)`.
    Field {
        /// The member expression.
        expr: Span,
    },
}

/// The shape of an implicit read. Spans inside a form lie inside [`KernelDeref::span`], so
/// the reads of inner expressions compose with the outer one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum DerefForm {
    /// `base->a.b->c`: `BPF_CORE_READ(base, a.b, c)`, one probe read per `->`.
    Chain {
        /// The external pointer expression (`base`).
        base: Span,
        /// Member names per hop: each inner vector is one `->` hop, its items joined by `.`
        /// (anonymous struct and union members are not named: C reaches through them).
        hops: Vec<Vec<String>>,
    },
    /// `*p`, `p[i]`, `p->arr[i]`, `(*p).f`: the lvalue is read whole with one `bpf_core_read`
    /// of its (relocated) address.
    Value,
    /// `&p->a.b`: no read, the address is relocated (`__builtin_preserve_access_index`).
    Address,
    /// `p->comm` used as a value: an array in external memory decays to its relocated address.
    Decay,
    /// `p->a.bits`: a bitfield, read with `BPF_CORE_READ_BITFIELD_PROBED(p, a.bits)`.
    Bitfield {
        /// The pointer the field path starts from (the base of the last `->`), or with
        /// `address_of` an lvalue in external memory (`*p` in `(*p).a.bits`).
        base: Span,
        /// Whether `base` is the lvalue itself, whose address must be taken.
        address_of: bool,
        /// The member names from `base` to the bitfield, joined by `.`.
        path: Vec<String>,
    },
}

/// A use of a tracepoint record's field (`args->filename`), in any function.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TracepointArg {
    /// The member expression; for [`FieldRead::Element`], the whole `args->f[i]`.
    pub span: Span,
    /// The base expression (usually `args`).
    pub base: Span,
    /// The field name as BCC spells it (`data_loc_name` for `__data_loc` fields).
    pub field: String,
    /// Index into [`Program::tracepoints`] of the record's tracepoint.
    pub tracepoint: usize,
    /// How the use reads the field.
    pub read: FieldRead,
}

/// How a use of a record field reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldRead {
    /// A scalar's value (an integer, enum or pointer).
    Value,
    /// An array used as a value (it decays to a pointer into the record).
    Array,
    /// A struct or union's value.
    Aggregate,
    /// One element of an array field, `args->f[i]`.
    Element {
        /// The index expression.
        index: Span,
        /// Whether the index is an integer literal (a constant offset).
        literal: bool,
    },
    /// The address is taken (`&args->f`) and used as a pointer.
    Address,
    /// Not a read: the field is written or under `sizeof`; and an address handed straight to
    /// a probe-read helper as its source, which reads the record itself.
    NotRead,
}

/// A `const volatile` global.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ParamDecl {
    /// Variable name.
    pub name: String,
    /// Scalar type.
    pub ty: ParamType,
    /// Initializer value.
    pub default: ParamValue,
    /// Help from an adjacent comment.
    pub help: String,
    /// The declaration (empty for a built-in parameter, which the rewrite defines).
    pub span: Span,
    /// Set by the runtime from the machine rather than by a flag (`bpf_num_cpus()`).
    pub builtin: Option<Builtin>,
}

/// A static helper function defined in the main file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HelperFn {
    /// Name.
    pub name: String,
    /// Where `static` (or the return type, if `static` is absent) starts, for inserting `__always_inline`.
    pub decl_start: Span,
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's serialize_with passes a reference"
)]
fn display<S: serde::Serializer>(kind: &MapKind, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(kind)
}
