//! Loading: the embedded object bytes + parameter values → a loaded libbpf [`Object`] (programs
//! verified, maps created), or one clear [`RunError`] naming the refused probe and its line.

use bccc_manifest::{Builtin, Manifest, ParamValue};
use libbpf_rs::{ErrorKind, Object, ObjectBuilder};

use crate::cli;
use crate::error::{ProbeRef, RunError};
use crate::libbpf_log;
use crate::sys;

/// Verifier log lines shown with a rejection.
const VERIFIER_TAIL: usize = 20;

/// The probe named `program`, with its source line when the manifest knows it.
#[must_use]
pub(crate) fn probe_ref(manifest: &Manifest, program: &str) -> ProbeRef {
    let loc = manifest
        .programs
        .iter()
        .find(|p| p.name == program)
        .map(|p| format!("{}:{}", manifest.tool.source, p.loc.line))
        .unwrap_or_default();
    ProbeRef {
        program: program.to_owned(),
        loc,
    }
}

/// Opens the object (named after the tool), writes parameters into its read-only data, loads.
pub(crate) fn load(
    manifest: &Manifest,
    object: &[u8],
    params: &[ParamValue],
) -> Result<Object, RunError> {
    let mut builder = ObjectBuilder::default();
    builder
        .name(&manifest.tool.name)
        .map_err(|e| RunError::Open(e.to_string()))?;
    let mut open = builder
        .open_memory(object)
        .map_err(|e| RunError::Open(e.to_string()))?;
    let params = with_builtins(manifest, params);
    let params = params.as_slice();
    let mut sections: Vec<&str> = manifest.params.iter().map(|p| p.section.as_str()).collect();
    sections.dedup();
    for section in sections {
        // libbpf names internal maps `<object name prefix><section>`, e.g. `opensnoo.rodata`.
        let mut written = false;
        for mut map in open.maps_mut() {
            if !map.name().to_string_lossy().ends_with(section) {
                continue;
            }
            if let Some(image) = map.initial_value_mut() {
                cli::write_params(image, section, &manifest.params, params)?;
                written = true;
            }
        }
        if !written {
            return Err(RunError::Missing {
                what: "data section",
                name: section.to_owned(),
            });
        }
    }
    open.load().map_err(|e| classify(manifest, &e))
}

/// The parameter values with each built-in one taken from this machine.
fn with_builtins(manifest: &Manifest, params: &[ParamValue]) -> Vec<ParamValue> {
    manifest
        .params
        .iter()
        .zip(params)
        .map(|(p, v)| match p.builtin {
            Some(Builtin::OnlineCpus) => ParamValue::Uint(u64::from(sys::online_cpus())),
            None => *v,
        })
        .collect()
}

/// Turns a load error plus libbpf's log into the message the user sees.
fn classify(manifest: &Manifest, e: &libbpf_rs::Error) -> RunError {
    let denied = matches!(e.kind(), ErrorKind::PermissionDenied);
    if denied && !sys::privileges().sufficient() {
        return RunError::NeedsRoot;
    }
    let lines = libbpf_log::recent();
    let Some(failure) = libbpf_log::verifier_failure(&lines, VERIFIER_TAIL) else {
        let skip = lines.len().saturating_sub(VERIFIER_TAIL);
        return RunError::Load {
            reason: e.to_string(),
            tail: lines[skip..].to_vec(),
        };
    };
    let section = manifest
        .programs
        .iter()
        .find(|p| p.name == failure.program)
        .map(|p| p.section.as_str());
    let mut reason = e.to_string();
    if denied
        && failure.tail.is_empty()
        && let Some(hint) = section.and_then(btf_refusal_hint)
    {
        reason.push_str(hint);
    }
    RunError::Verifier {
        probe: probe_ref(manifest, &failure.program),
        reason,
        tail: failure.tail,
    }
}

/// What to suggest when the kernel refuses a BTF program (EPERM, no verifier log) of `section`;
/// `None` for sections that are not BTF programs.
fn btf_refusal_hint(section: &str) -> Option<&'static str> {
    match section.split('/').next()? {
        "fentry" | "fexit" | "fmod_ret" | "lsm" => Some(
            " (this kernel does not allow BTF trampoline programs such as fentry/fexit here; \
             build the probe as a kprobe or tracepoint instead)",
        ),
        "tp_btf" => Some(
            " (this kernel does not allow BTF-typed tracepoint programs here; attach the probe \
             with raw_tracepoint:EVENT instead)",
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::btf_refusal_hint;

    #[test]
    fn refusal_hints_follow_the_program_type() {
        assert!(btf_refusal_hint("fentry/vfs_read").is_some_and(|h| h.contains("kprobe")));
        assert!(btf_refusal_hint("lsm/file_open").is_some_and(|h| h.contains("fentry")));
        assert!(
            btf_refusal_hint("tp_btf/sched_process_exec")
                .is_some_and(|h| h.contains("raw_tracepoint:"))
        );
        assert_eq!(btf_refusal_hint("tracepoint/sched/sched_switch"), None);
        assert_eq!(btf_refusal_hint("raw_tp/sched_switch"), None);
    }
}
