//! What BTF programs attach to, looked up in the build host's BTF (or `--btf`): kernel
//! functions and `btf_trace_<event>` prototypes.

use btf_rs::{Btf, Type};

/// One BTF file, loaded once.
pub(crate) struct KernelBtf {
    btf: Option<Btf>,
}

impl KernelBtf {
    pub(crate) fn new(btf: &std::path::Path) -> KernelBtf {
        KernelBtf {
            btf: Btf::from_file_with_backend(btf, btf_rs::Backend::Mmap).ok(),
        }
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
}
