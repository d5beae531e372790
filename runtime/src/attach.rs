//! Attaching: a loaded [`Object`] + the manifest's attach specs → the live links. Links detach
//! when dropped, so every exit path (including an error halfway through) leaves nothing attached.

use bccc_manifest::{AttachSpec, Manifest};
use libbpf_rs::{Link, Object, ProgramMut, TracepointCategory};

use crate::error::RunError;
use crate::libbpf_log;
use crate::load::probe_ref;
use crate::targets::{self, KernelSymbols, Target};

/// Attaches every program to every target its spec lists. On error the links made so far are
/// dropped (detached) before the error is returned.
pub(crate) fn attach_all(obj: &Object, manifest: &Manifest) -> Result<Vec<Link>, RunError> {
    let syms = KernelSymbols::default();
    let mut links = Vec::new();
    for spec in &manifest.programs {
        if spec.attach.is_empty() {
            continue;
        }
        let prog = obj
            .progs_mut()
            .find(|p| p.name() == spec.name.as_str())
            .ok_or_else(|| RunError::Missing {
                what: "program",
                name: spec.name.clone(),
            })?;
        for attach in &spec.attach {
            links.extend(attach_one(&prog, attach, manifest, &spec.name, &syms)?);
        }
    }
    Ok(links)
}

fn attach_one(
    prog: &ProgramMut<'_>,
    spec: &AttachSpec,
    manifest: &Manifest,
    name: &str,
    syms: &KernelSymbols,
) -> Result<Vec<Link>, RunError> {
    let target = targets::resolve(spec, syms).map_err(|source| RunError::Target {
        probe: probe_ref(manifest, name),
        spec: spec.to_string(),
        source: Box::new(source),
    })?;
    let failed = |e: &libbpf_rs::Error| {
        // libbpf's last warning usually says which file or event was missing.
        let detail = libbpf_log::recent()
            .into_iter()
            .rev()
            .find(|l| l.contains("libbpf:"));
        let reason = match detail {
            Some(d) => format!("{e} ({})", d.trim()),
            None => e.to_string(),
        };
        RunError::Attach {
            probe: probe_ref(manifest, name),
            spec: spec.to_string(),
            reason,
        }
    };
    let one = |r: libbpf_rs::Result<Link>| r.map(|l| vec![l]).map_err(|e| failed(&e));
    match target {
        Target::Tracepoint { category, event } => {
            one(prog.attach_tracepoint(TracepointCategory::Custom(category), event))
        }
        Target::RawTracepoint { event } => one(prog.attach_raw_tracepoint(event)),
        Target::Uprobe {
            path,
            offset,
            retprobe,
        } => one(prog.attach_uprobe(retprobe, -1, path, offset as usize)),
        Target::Usdt {
            path,
            provider,
            probe,
        } => one(prog.attach_usdt(-1, path, provider, probe)),
        // fentry, fexit, LSM and tp_btf programs carry their target as a BTF id chosen at load
        // time; libbpf's trace attach links exactly that.
        Target::Kfunc { .. } | Target::TpBtf { .. } => one(prog.attach_trace()),
        Target::Kprobes { symbols, retprobe } => {
            // Like BCC: one kprobe per matching function; failures are tolerated unless all fail.
            let mut links = Vec::new();
            let mut first_error = None;
            for sym in &symbols {
                match prog.attach_kprobe(retprobe, sym) {
                    Ok(l) => links.push(l),
                    Err(e) => {
                        first_error.get_or_insert(e);
                    }
                }
            }
            match first_error {
                Some(e) if links.is_empty() => Err(failed(&e)),
                _ => Ok(links),
            }
        }
    }
}
