//! Which functions are BPF programs, how each attaches, and its `SEC(...)` name.

use bccc_ffi::clang::{Cursor, CursorKind, TypeKind};
use bccc_manifest::AttachSpec;

use super::{Probe, ProbeKind, ProbeParam, Section, SectionKind, diagnostics};
use crate::diagnostics::Diagnostic;
use crate::parse::TracepointFormat;
use crate::source::{SourceFile, Span};

/// Most extra arguments a `pt_regs` probe may take: `PT_REGS_PARM1..6` on x86-64 and arm64, the
/// architectures bccc targets (BCC allows 6 there, 5 on s390x).
const MAX_REG_ARGS: usize = 6;

/// A function definition in the user's file, with the spans the rewrite needs.
#[derive(Debug, Clone)]
pub(crate) struct FnDef<'tu> {
    pub(crate) cursor: Cursor<'tu>,
    pub(crate) name: String,
    pub(crate) span: Span,
    pub(crate) name_span: Span,
    pub(crate) header_span: Span,
    pub(crate) body: Cursor<'tu>,
    pub(crate) body_start: u32,
    pub(crate) params: Vec<ProbeParam>,
    /// The macro the function's header comes from (`TRACEPOINT_PROBE`), if any.
    pub(crate) macro_name: Option<String>,
    pub(crate) is_static: bool,
}

/// Reads a function definition; `expansions` are the main file's macro expansions.
pub(crate) fn fn_def<'tu>(
    c: Cursor<'tu>,
    file: &SourceFile,
    expansions: &[(String, Span)],
) -> Option<FnDef<'tu>> {
    let body = c
        .children()
        .into_iter()
        .find(|k| k.kind() == CursorKind::CompoundStmt)?;
    let (body_start, _) = body.main_file_range()?;
    let (start, end) = c.main_file_range()?;
    let name = c.spelling();
    let loc = c.location();
    let macro_hit = expansions
        .iter()
        .find(|(_, s)| s.start <= loc.offset && loc.offset < s.end.max(s.start + 1));
    let (header_span, name_span, macro_name) = match macro_hit {
        Some((m, s)) if c.is_from_macro() => (*s, *s, Some(m.clone())),
        _ => {
            let header_end = start
                + file.text()[start as usize..body_start as usize]
                    .trim_end()
                    .len() as u32;
            (
                Span::new(start, header_end),
                Span::new(loc.offset, loc.offset + name.len() as u32),
                None,
            )
        }
    };
    let params = c
        .arguments()
        .iter()
        .map(|p| ProbeParam {
            name: p.spelling(),
            ty: p.ty().spelling(),
            span: p
                .main_file_range()
                .map(|(a, b)| Span::new(a, b))
                .unwrap_or_default(),
            size: p.ty().size(),
        })
        .collect();
    Some(FnDef {
        cursor: c,
        name,
        span: Span::new(start, end),
        name_span,
        header_span,
        body,
        body_start,
        params,
        macro_name,
        is_static: c.is_static(),
    })
}

/// `kfunc__[vmlinux__]FN` / `kretfunc__[vmlinux__]FN` (what `KFUNC_PROBE` and `KRETFUNC_PROBE`
/// name their functions) → (FN, fexit).
fn kfunc_name(name: &str) -> Option<(&str, bool)> {
    let (tail, fexit) = name
        .strip_prefix("kfunc__")
        .map(|s| (s, false))
        .or_else(|| name.strip_prefix("kretfunc__").map(|s| (s, true)))?;
    let sym = tail.strip_prefix("vmlinux__").unwrap_or(tail);
    (!sym.is_empty()).then_some((sym, fexit))
}

/// Classifies a non-static function; `specs` are the attach specs naming it (directives and
/// `--attach`). `Ok(None)` never happens for a function with a body: it is a probe or an error.
#[expect(
    clippy::result_large_err,
    reason = "Diagnostic is the stage's error type; one per function"
)]
pub(crate) fn classify(
    f: &FnDef<'_>,
    file: &SourceFile,
    tracepoints: &[TracepointFormat],
    specs: &[AttachSpec],
) -> Result<Probe, Diagnostic> {
    let name = &f.name;
    let tp_param = f.params.first().and_then(|p| {
        let st =
            p.ty.trim_end_matches('*')
                .trim()
                .strip_prefix("struct ")?
                .to_owned();
        tracepoints.iter().find(|t| t.struct_name() == st)
    });
    let (kind, named_section, named_attach) = if let Some(tp) = tp_param {
        let spec = AttachSpec::Tracepoint {
            category: tp.category.clone(),
            event: tp.event.clone(),
        };
        let kind = ProbeKind::Tracepoint {
            category: tp.category.clone(),
            event: tp.event.clone(),
        };
        let section = Section::new(
            SectionKind::Tracepoint,
            format!("{}/{}", tp.category, tp.event),
        );
        (kind, Some(section), Some(spec))
    } else if let Some(ev) = name.strip_prefix("raw_tracepoint__") {
        let spec = AttachSpec::RawTracepoint { event: ev.into() };
        (
            ProbeKind::RawTracepoint { event: ev.into() },
            Some(Section::new(SectionKind::RawTracepoint, ev)),
            Some(spec),
        )
    } else if let Some((sym, ret)) = name
        .strip_prefix("kprobe__")
        .map(|s| (s, false))
        .or_else(|| name.strip_prefix("kretprobe__").map(|s| (s, true)))
    {
        let spec = AttachSpec::Kprobe {
            symbol: sym.into(),
            retprobe: ret,
        };
        let kind = if ret {
            SectionKind::Kretprobe
        } else {
            SectionKind::Kprobe
        };
        let section = Section::new(kind, sym);
        (
            ProbeKind::Kprobe {
                symbol: sym.into(),
                retprobe: ret,
            },
            Some(section),
            Some(spec),
        )
    } else if let Some((sym, ret)) = kfunc_name(name) {
        let spec = AttachSpec::Kfunc {
            symbol: sym.into(),
            ret,
        };
        let kind = if ret {
            SectionKind::Fexit
        } else {
            SectionKind::Fentry
        };
        let section = Section::new(kind, sym);
        (
            ProbeKind::Kfunc {
                symbol: sym.into(),
                ret,
            },
            Some(section),
            Some(spec),
        )
    } else if let Some(hook) = name.strip_prefix("lsm__") {
        let spec = AttachSpec::Lsm { hook: hook.into() };
        (
            ProbeKind::Lsm { hook: hook.into() },
            Some(Section::new(SectionKind::Lsm, hook)),
            Some(spec),
        )
    } else if let Some(event) = name.strip_prefix("tp_btf__").filter(|e| !e.is_empty()) {
        let spec = AttachSpec::TpBtf {
            event: event.into(),
        };
        (
            ProbeKind::TpBtf {
                event: event.into(),
            },
            Some(Section::new(SectionKind::TpBtf, event)),
            Some(spec),
        )
    } else {
        (ProbeKind::Attached, None, None)
    };
    let mut section = named_section;
    for spec in specs {
        let Some(sec) = Section::for_spec(spec) else {
            return Err(diagnostics::unsupported_attach(
                file,
                f.name_span,
                spec.kind_name(),
            ));
        };
        match &section {
            None => section = Some(sec),
            // A BTF program is verified against one kernel function: one target only.
            Some(s) if !s.compatible(&sec) => {
                return Err(diagnostics::conflicting_attach(
                    file,
                    f.name_span,
                    &s.conflict_name(&sec),
                    &sec.conflict_name(s),
                ));
            }
            Some(_) => {}
        }
    }
    let Some(section) = section else {
        return Err(diagnostics::unattached_function(file, f.name_span, name));
    };
    if section.kind.is_pt_regs() {
        check_reg_params(f, file)?;
    }
    if section.kind.is_btf() {
        check_btf_ctx(f, file, section.kind)?;
    }
    // The same spec named twice (by the name convention, a directive, --attach) is one
    // attachment: attaching twice fails (-EEXIST) or counts every event twice.
    let mut attach: Vec<AttachSpec> = Vec::new();
    for spec in named_attach.into_iter().chain(specs.iter().cloned()) {
        if !attach.contains(&spec) {
            attach.push(spec);
        }
    }
    let syscall_args = section.kind.is_pt_regs() && syscall_entry(name, &attach);
    Ok(Probe {
        function: name.clone(),
        kind,
        section,
        attach,
        span: f.span,
        name_span: f.name_span,
        header_span: f.header_span,
        body_start: f.body_start,
        params: f.params.clone(),
        from_macro: f.macro_name.is_some(),
        syscall_args,
    })
}

/// Whether a `pt_regs` function sees a syscall's arguments: BCC's `syscall__NAME` convention, or
/// every kprobe it has is on a syscall entry point (BCC's prefixes; the runtime maps any of them
/// to the running kernel's).
fn syscall_entry(name: &str, attach: &[AttachSpec]) -> bool {
    if name.starts_with("syscall__") {
        return true;
    }
    let mut kprobes = attach
        .iter()
        .filter_map(|a| match a {
            AttachSpec::Kprobe { symbol, .. } => Some(symbol),
            _ => None,
        })
        .peekable();
    kprobes.peek().is_some() && kprobes.all(|s| bccc_manifest::syscall_of(s).is_some())
}

/// A BTF program's first parameter is the `u64` array `BPF_PROG` hands it (`ctx[i]` is the i-th
/// kernel argument); the typed arguments follow it. Without it the rewrite would shift every
/// argument by one.
#[expect(
    clippy::result_large_err,
    reason = "Diagnostic is the stage's error type"
)]
fn check_btf_ctx(f: &FnDef<'_>, file: &SourceFile, kind: SectionKind) -> Result<(), Diagnostic> {
    let first = f.cursor.argument(0);
    let is_u64_array = first.is_some_and(|c| {
        let ty = c.ty().canonical();
        ty.kind() == TypeKind::Pointer
            && ty.pointee().is_some_and(|t| {
                let t = t.canonical();
                t.kind() == TypeKind::UnsignedInt && t.size() == Some(8)
            })
    });
    if is_u64_array {
        return Ok(());
    }
    let (span, found) = match f.params.first() {
        Some(p) => (p.span, format!("`{}`, not the u64 ctx array", p.ty)),
        None => (f.name_span, "takes no ctx parameter".to_owned()),
    };
    Err(diagnostics::btf_ctx_param(file, span, kind, &found))
}

#[expect(
    clippy::result_large_err,
    reason = "Diagnostic is the stage's error type"
)]
fn check_reg_params(f: &FnDef<'_>, file: &SourceFile) -> Result<(), Diagnostic> {
    let extra = f.params.get(1..).unwrap_or_default();
    let span = || {
        let (a, b) = (
            extra.first().map_or(f.header_span.start, |p| p.span.start),
            extra.last().map_or(0, |p| p.span.end),
        );
        Span::new(a, b.max(a))
    };
    if extra.len() > MAX_REG_ARGS {
        return Err(diagnostics::bad_probe_params(
            file,
            span(),
            &format!("{} arguments after ctx", extra.len()),
        ));
    }
    if extra.iter().any(|p| p.name.is_empty()) {
        return Err(diagnostics::bad_probe_params(
            file,
            span(),
            "every argument needs a name",
        ));
    }
    Ok(())
}
