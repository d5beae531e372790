//! Which vmlinux.h struct describes a tracepoint's record (spec C.2), decided from the build
//! host's BTF: `trace_event_raw_<event>` when it exists, else the event class's struct whose
//! members are the format's fields; per-syscall events use the generic `sys_enter`/`sys_exit` records.
//! Also what BTF programs attach to: kernel functions and `btf_trace_<event>` prototypes.

use btf_rs::{Btf, Type};
use fallible_iterator::FallibleIterator;

use crate::parse::TracepointFormat;

/// Looks structs up in one BTF file, loaded on first use.
pub(crate) struct RecordTypes {
    btf: Option<Btf>,
    /// `trace_event_raw_*` structs and their member names, collected on first class search.
    raw_structs: Option<Vec<(String, Vec<String>)>>,
}

/// The syscall record kind of a `syscalls:*` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syscall {
    /// `sys_enter_*`: `args[i]` holds the i-th argument.
    Enter,
    /// `sys_exit_*`: `ret`.
    Exit,
}

/// How a syscall event is mapped, if `tp` is one.
pub(crate) fn syscall(tp: &TracepointFormat) -> Option<Syscall> {
    if !tp.is_syscall() {
        return None;
    }
    if tp.event.starts_with("sys_enter_") {
        Some(Syscall::Enter)
    } else if tp.event.starts_with("sys_exit_") {
        Some(Syscall::Exit)
    } else {
        None
    }
}

impl RecordTypes {
    pub(crate) fn new(btf: &std::path::Path) -> RecordTypes {
        RecordTypes {
            btf: Btf::from_file_with_backend(btf, btf_rs::Backend::Mmap).ok(),
            raw_structs: None,
        }
    }

    fn has_struct(&self, name: &str) -> bool {
        let Some(btf) = &self.btf else { return false };
        btf.resolve_types_by_name(name)
            .is_ok_and(|ts| ts.iter().any(|t| matches!(t, Type::Struct(_))))
    }

    /// Whether BTF has a `FUNC` named `name` (what fentry/fexit/LSM programs attach to).
    pub(crate) fn has_function(&self, name: &str) -> bool {
        let Some(btf) = &self.btf else { return false };
        btf.resolve_types_by_name(name)
            .is_ok_and(|ts| ts.iter().any(|t| matches!(t, Type::Func(_))))
    }

    /// How many arguments a `tp_btf` program on `event` can take: the parameters of the
    /// `btf_trace_<event>` typedef's prototype (`void (*)(void *, TP_PROTO args...)`) after its
    /// leading `void *`. `None` when BTF has no such typedef.
    pub(crate) fn tracepoint_args(&self, event: &str) -> Option<usize> {
        let btf = self.btf.as_ref()?;
        let types = btf
            .resolve_types_by_name(&format!("btf_trace_{event}"))
            .ok()?;
        let typedef = types.iter().find_map(|t| match t {
            Type::Typedef(td) => Some(td),
            _ => None,
        })?;
        let Ok(Type::Ptr(ptr)) = btf.resolve_chained_type(typedef) else {
            return None;
        };
        let Ok(Type::FuncProto(proto)) = btf.resolve_chained_type(&ptr) else {
            return None;
        };
        Some(proto.parameters.len().saturating_sub(1))
    }

    /// The struct name (without `struct `) for `tp`'s record, if BTF has one.
    pub(crate) fn record(&mut self, tp: &TracepointFormat) -> Option<String> {
        match syscall(tp) {
            Some(Syscall::Enter) => return Some("trace_event_raw_sys_enter".into()),
            Some(Syscall::Exit) => return Some("trace_event_raw_sys_exit".into()),
            None => {}
        }
        let exact = format!("trace_event_raw_{}", tp.event);
        if self.has_struct(&exact) {
            return Some(exact);
        }
        let want: Vec<String> = tp
            .fields
            .iter()
            .map(|f| {
                if f.data_loc {
                    format!("__data_loc_{}", f.name)
                } else {
                    f.name.clone()
                }
            })
            .collect();
        let structs = self.raw_structs();
        let mut matches: Vec<&String> = structs
            .iter()
            .filter(|(_, m)| *m == want)
            .map(|(n, _)| n)
            .collect();
        // Prefer the class whose name shares the longest prefix with the event; then by name.
        let common = |n: &str| {
            n["trace_event_raw_".len()..]
                .chars()
                .zip(tp.event.chars())
                .take_while(|(a, b)| a == b)
                .count()
        };
        matches.sort_by(|a, b| common(b).cmp(&common(a)).then(a.cmp(b)));
        matches.first().map(|s| (*s).clone())
    }

    fn raw_structs(&mut self) -> &[(String, Vec<String>)] {
        if self.raw_structs.is_none() {
            self.raw_structs = Some(self.collect_raw_structs());
        }
        self.raw_structs.as_deref().unwrap_or_default()
    }

    fn collect_raw_structs(&self) -> Vec<(String, Vec<String>)> {
        let Some(btf) = &self.btf else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut it = btf.type_iter();
        while let Ok(Some(t)) = it.next() {
            let Type::Struct(s) = &t else { continue };
            let Ok(name) = btf.resolve_name(s) else {
                continue;
            };
            if !name.starts_with("trace_event_raw_") {
                continue;
            }
            let members = s
                .members
                .iter()
                .filter_map(|m| btf.resolve_name(m).ok())
                .filter(|n| n != "ent" && n != "__data")
                .collect();
            out.push((name, members));
        }
        out
    }
}
