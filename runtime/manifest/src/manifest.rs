//! The manifest: everything a built tool needs besides the BPF object itself.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{AttachSpec, TracepointRecord, Type};

/// Bumped whenever a change to these types would make an older runtime misread a manifest.
pub const MANIFEST_VERSION: u32 = 2;

/// What a built tool contains. Serialized as JSON into the payload section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`MANIFEST_VERSION`] when written by this crate's version.
    pub version: u32,
    /// The tool's name and help.
    pub tool: ToolInfo,
    /// Every BPF program in the object, in source order.
    pub programs: Vec<ProgramSpec>,
    /// Every BCC map in the object, in source order (libbpf's internal maps are not listed).
    pub maps: Vec<MapSpec>,
    /// `const volatile` globals, each of which becomes a command-line flag.
    pub params: Vec<Param>,
    /// Whether the program calls `bpf_trace_printk`, so the tool should echo `trace_pipe`.
    pub trace_printk: bool,
    /// Tracepoint records the program reads through BCC's `struct tracepoint__<cat>__<ev>`:
    /// the runtime describes each with the running kernel's offsets before loading.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tracepoint_records: Vec<TracepointRecord>,
}

/// The tool's identity, shown by `--help`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    /// Binary name (the source file's stem unless overridden).
    pub name: String,
    /// One paragraph of help text (from the source's leading comment, if any).
    pub about: String,
    /// The source file name the tool was built from (no directories).
    pub source: String,
}

/// A location in the user's source file, for messages that name a probe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLoc {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// One BPF program (one C function with a `SEC`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramSpec {
    /// The C function name, which is also libbpf's program name.
    pub name: String,
    /// The ELF section the program lives in (`tracepoint/syscalls/sys_enter_openat`, `kprobe`, ...).
    pub section: String,
    /// Where to attach it; a program may be attached several times.
    pub attach: Vec<AttachSpec>,
    /// Where the function is defined in the user's file.
    pub loc: SourceLoc,
    /// For BTF programs (fentry, fexit, LSM, `tp_btf`): the typed arguments after `ctx` as the
    /// source declares them (for fexit and LSM, a trailing return value too). Each is read as
    /// one u64 slot of the kernel function's arguments cast to its type, so the runtime checks
    /// their sizes against the running kernel's prototype, which CO-RE cannot relocate.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub btf_args: Vec<BtfArg>,
}

/// One declared argument of a BTF program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BtfArg {
    /// Its name in the source.
    pub name: String,
    /// Its type, spelled for C.
    pub ty: String,
    /// `sizeof` its type, in bytes (0: unknown, not checked).
    pub size: u32,
}

/// BCC's map kinds, named after the declaring macro (or `BPF_TABLE` kind string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MapKind {
    /// `BPF_HASH`
    Hash,
    /// `BPF_ARRAY`
    Array,
    /// `BPF_HISTOGRAM` with an `int` key (an array).
    HistogramArray,
    /// `BPF_HISTOGRAM` with any other key (a hash).
    HistogramHash,
    /// `BPF_PERCPU_HASH`
    PercpuHash,
    /// `BPF_PERCPU_ARRAY`
    PercpuArray,
    /// `BPF_TABLE("lru_hash", ...)`
    LruHash,
    /// `BPF_TABLE("lru_percpu_hash", ...)`
    LruPercpuHash,
    /// `BPF_LPM_TRIE`
    LpmTrie,
    /// `BPF_PERF_OUTPUT`
    PerfOutput,
    /// `BPF_RINGBUF_OUTPUT`
    Ringbuf,
    /// `BPF_STACK_TRACE`
    StackTrace,
    /// `BPF_PROG_ARRAY`
    ProgArray,
    /// `BPF_PERF_ARRAY`
    PerfArray,
    /// `BPF_CGROUP_ARRAY`
    CgroupArray,
    /// `BPF_QUEUE`
    Queue,
    /// `BPF_STACK`
    Stack,
}

impl MapKind {
    /// The `BPF_MAP_TYPE_*` constant libbpf uses for this kind.
    #[must_use]
    pub fn libbpf_type(self) -> &'static str {
        match self {
            MapKind::Hash | MapKind::HistogramHash => "BPF_MAP_TYPE_HASH",
            MapKind::Array | MapKind::HistogramArray => "BPF_MAP_TYPE_ARRAY",
            MapKind::PercpuHash => "BPF_MAP_TYPE_PERCPU_HASH",
            MapKind::PercpuArray => "BPF_MAP_TYPE_PERCPU_ARRAY",
            MapKind::LruHash => "BPF_MAP_TYPE_LRU_HASH",
            MapKind::LruPercpuHash => "BPF_MAP_TYPE_LRU_PERCPU_HASH",
            MapKind::LpmTrie => "BPF_MAP_TYPE_LPM_TRIE",
            MapKind::PerfOutput | MapKind::PerfArray => "BPF_MAP_TYPE_PERF_EVENT_ARRAY",
            MapKind::Ringbuf => "BPF_MAP_TYPE_RINGBUF",
            MapKind::StackTrace => "BPF_MAP_TYPE_STACK_TRACE",
            MapKind::ProgArray => "BPF_MAP_TYPE_PROG_ARRAY",
            MapKind::CgroupArray => "BPF_MAP_TYPE_CGROUP_ARRAY",
            MapKind::Queue => "BPF_MAP_TYPE_QUEUE",
            MapKind::Stack => "BPF_MAP_TYPE_STACK",
        }
    }

    /// Whether the kernel keeps one value per CPU for each key.
    #[must_use]
    pub fn is_percpu(self) -> bool {
        matches!(
            self,
            MapKind::PercpuHash | MapKind::PercpuArray | MapKind::LruPercpuHash
        )
    }

    /// Whether every key always exists (arrays), so clearing means zeroing.
    #[must_use]
    pub fn is_array(self) -> bool {
        matches!(
            self,
            MapKind::Array | MapKind::HistogramArray | MapKind::PercpuArray
        )
    }
}

impl fmt::Display for MapKind {
    /// The BCC macro that declares this kind.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MapKind::Hash => "BPF_HASH",
            MapKind::Array => "BPF_ARRAY",
            MapKind::HistogramArray | MapKind::HistogramHash => "BPF_HISTOGRAM",
            MapKind::PercpuHash => "BPF_PERCPU_HASH",
            MapKind::PercpuArray => "BPF_PERCPU_ARRAY",
            MapKind::LruHash => "BPF_TABLE(\"lru_hash\")",
            MapKind::LruPercpuHash => "BPF_TABLE(\"lru_percpu_hash\")",
            MapKind::LpmTrie => "BPF_LPM_TRIE",
            MapKind::PerfOutput => "BPF_PERF_OUTPUT",
            MapKind::Ringbuf => "BPF_RINGBUF_OUTPUT",
            MapKind::StackTrace => "BPF_STACK_TRACE",
            MapKind::ProgArray => "BPF_PROG_ARRAY",
            MapKind::PerfArray => "BPF_PERF_ARRAY",
            MapKind::CgroupArray => "BPF_CGROUP_ARRAY",
            MapKind::Queue => "BPF_QUEUE",
            MapKind::Stack => "BPF_STACK",
        })
    }
}

/// How the runtime shows a map to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "snake_case")]
pub enum Display {
    /// Bookkeeping only (timestamps, in-flight state): never printed.
    Hidden,
    /// An event stream (perf or ring buffer): one line per event of type `event`.
    Events {
        /// The struct submitted to the buffer.
        event: Type,
    },
    /// A log2 histogram in BCC's `print_log2_hist` format; struct keys give one per section.
    Log2Hist {
        /// The column title (`val_type` in BCC).
        val_type: String,
    },
    /// A linear histogram in BCC's `print_linear_hist` format.
    LinearHist {
        /// The column title (`val_type` in BCC).
        val_type: String,
    },
    /// A table of keys and counts, sorted by count, largest first.
    Counts,
}

/// One BCC map.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapSpec {
    /// The C variable name as the user wrote it: what the tool prints and `--json` says.
    pub name: String,
    /// The map's name in the object (libbpf's map name) when it differs from `name`: bccc
    /// renames a map whose name clashes with a kernel header's declaration (`config`, a kernel
    /// typedef, becomes `config___bccc`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_name: Option<String>,
    /// The declaring macro's kind.
    pub kind: MapKind,
    /// Key layout, absent for maps without keys (ring buffers, queues).
    pub key: Option<Type>,
    /// Value layout, absent for maps without values.
    pub value: Option<Type>,
    /// Declared capacity (bytes for ring buffers).
    pub max_entries: u32,
    /// How the runtime shows it.
    pub display: Display,
    /// Where the map is declared in the user's file.
    pub loc: SourceLoc,
}

impl MapSpec {
    /// The map's name in the object, which libbpf looks maps up by.
    #[must_use]
    pub fn object_name(&self) -> &str {
        self.object_name.as_deref().unwrap_or(&self.name)
    }
}

/// The scalar type of a parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ParamType {
    /// `bool`.
    Bool,
    /// An integer of `size` bytes.
    Int {
        /// Size in bytes (1, 2, 4 or 8).
        size: u32,
        /// Whether it is signed.
        signed: bool,
    },
}

/// A parameter value (defaults and command-line values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamValue {
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer.
    Uint(u64),
}

/// Where the runtime takes a built-in parameter's value from (no flag for it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Builtin {
    /// The running machine's online CPU count (BCC's `bpf_num_cpus()`).
    OnlineCpus,
}

/// A `const volatile` global that the user sets with a flag before load, or that the runtime sets
/// from the machine ([`Param::builtin`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Param {
    /// The C variable name (`targ_pid`).
    pub name: String,
    /// The long flag without dashes (`targ-pid`).
    pub flag: String,
    /// Its type.
    pub ty: ParamType,
    /// Its initializer in the source (zero when it has none).
    pub default: ParamValue,
    /// The data section holding it (`.rodata` for `const volatile`).
    pub section: String,
    /// Byte offset of the variable inside that section.
    pub offset: u32,
    /// Help text (from a trailing or preceding comment), possibly empty.
    pub help: String,
    /// Set by the runtime from the machine, not by a flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builtin: Option<Builtin>,
}

impl Manifest {
    /// Finds a map by its user-visible name.
    #[must_use]
    pub fn map(&self, name: &str) -> Option<&MapSpec> {
        self.maps.iter().find(|m| m.name == name)
    }
}
