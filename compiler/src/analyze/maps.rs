//! Map declarations: reads the facts `bccc/parse.h` encodes in each map variable's type, and the
//! one table of which methods each map kind accepts.

use bccc_ffi::clang::{Cursor, CursorKind, TypeKind};
use bccc_manifest::MapKind;

use super::{CType, DisplayHint, MapDecl, Method};
use crate::source::Span;

/// Ring buffer sizes are declared in pages; BCC multiplies by the build host's page size.
const PAGE_SIZE: u32 = 4096;

/// The map kind for a `BPF_TABLE` kind string; histograms depend on the key type.
fn kind_from_str(kind: &str, int_key: bool) -> Option<MapKind> {
    Some(match kind {
        "hash" => MapKind::Hash,
        "array" => MapKind::Array,
        "histogram" if int_key => MapKind::HistogramArray,
        "histogram" => MapKind::HistogramHash,
        "percpu_hash" => MapKind::PercpuHash,
        "percpu_array" => MapKind::PercpuArray,
        "lru_hash" => MapKind::LruHash,
        "lru_percpu_hash" => MapKind::LruPercpuHash,
        "lpm_trie" => MapKind::LpmTrie,
        "perf_output" => MapKind::PerfOutput,
        "ringbuf" => MapKind::Ringbuf,
        "stacktrace" => MapKind::StackTrace,
        "prog" => MapKind::ProgArray,
        "perf_array" => MapKind::PerfArray,
        "cgroup_array" => MapKind::CgroupArray,
        "queue" => MapKind::Queue,
        "stack" => MapKind::Stack,
        _ => return None,
    })
}

/// The methods a map kind accepts (spec A.2).
#[must_use]
pub fn methods(kind: MapKind) -> &'static [Method] {
    use Method::{
        AtomicIncrement, Delete, GetStackid, Increment, Insert, Lookup, LookupOrInit,
        LookupOrTryInit, PerfSubmit, RingbufDiscard, RingbufOutput, RingbufReserve, RingbufSubmit,
        Update,
    };
    const TABLE: &[Method] = &[
        Lookup,
        Update,
        Insert,
        Delete,
        Increment,
        AtomicIncrement,
        LookupOrTryInit,
        LookupOrInit,
    ];
    match kind {
        MapKind::Hash
        | MapKind::Array
        | MapKind::HistogramArray
        | MapKind::HistogramHash
        | MapKind::PercpuHash
        | MapKind::PercpuArray
        | MapKind::LruHash
        | MapKind::LruPercpuHash
        | MapKind::LpmTrie => TABLE,
        MapKind::PerfOutput => &[PerfSubmit],
        MapKind::Ringbuf => &[RingbufOutput, RingbufReserve, RingbufSubmit, RingbufDiscard],
        MapKind::StackTrace => &[GetStackid, Lookup],
        MapKind::ProgArray
        | MapKind::PerfArray
        | MapKind::CgroupArray
        | MapKind::Queue
        | MapKind::Stack => &[],
    }
}

/// Whether `increment` inserts missing keys: only for `BPF_MAP_TYPE_HASH` maps (spec E.1).
#[must_use]
pub fn increment_inserts(kind: MapKind) -> bool {
    kind.libbpf_type() == "BPF_MAP_TYPE_HASH"
}

/// What a map variable's type says, before its span is known.
pub(crate) enum MapFacts {
    /// A map.
    Map(MapDecl),
    /// A map whose kind string is unknown.
    UnknownKind(String),
}

fn array_len(field: Option<&Cursor<'_>>) -> u64 {
    field
        .and_then(|f| f.ty().pointee())
        .and_then(|t| t.array_size())
        .unwrap_or(0)
}

fn ctype(c: Option<&Cursor<'_>>) -> Option<CType> {
    let ty = c?.ty();
    Some(CType {
        spelling: ty.spelling(),
        size: ty.size().unwrap_or(0),
    })
}

/// Reads a map from a global variable declared by a `bccc/parse.h` map macro; `None` if the
/// variable is not a map.
pub(crate) fn map_facts(var: &Cursor<'_>) -> Option<MapFacts> {
    let kind_str = var.children().iter().find_map(|c| {
        (c.kind() == CursorKind::AnnotateAttr)
            .then(|| c.spelling())
            .and_then(|s| s.strip_prefix("bccc_map:").map(String::from))
    })?;
    let fields = var.ty().canonical().fields();
    let field = |name: &str| fields.iter().find(|f| f.spelling() == name);
    let key = field("key");
    let int_key = key.is_some_and(|k| k.ty().kind() == TypeKind::Int);
    let Some(kind) = kind_from_str(&kind_str, int_key) else {
        return Some(MapFacts::UnknownKind(kind_str));
    };
    let mut max_entries = array_len(field("__bccc_max_entries")) as u32;
    if kind == MapKind::Ringbuf {
        max_entries = max_entries.saturating_mul(PAGE_SIZE);
    }
    let (key, value) = match kind {
        MapKind::PerfOutput | MapKind::Ringbuf => (None, None),
        _ => (ctype(key), ctype(field("leaf"))),
    };
    let display = match kind {
        MapKind::HistogramArray | MapKind::HistogramHash => DisplayHint::Log2Hist {
            val_type: "value".into(),
        },
        _ => DisplayHint::Hidden,
    };
    Some(MapFacts::Map(MapDecl {
        name: var.spelling(),
        kind,
        key,
        value,
        max_entries,
        flags: array_len(field("__bccc_flags")),
        display,
        span: Span::default(),
        event_ctype: None,
        anchor_at_submit: false,
    }))
}
