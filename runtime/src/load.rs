//! Loading: the embedded object bytes + parameter values → a loaded libbpf [`Object`] (programs
//! verified, maps created), or one clear [`RunError`] naming the refused probe and its line.
//! Tracepoint records are described to libbpf first, from this kernel's format files
//! ([`records`]).

use std::fs::File;
use std::io::Write as _;
use std::os::fd::AsRawFd as _;
use std::path::Path;

use bccc_manifest::tracepoint::parse_format;
use bccc_manifest::{Builtin, Manifest, ParamValue};
use libbpf_rs::{ErrorKind, Object, ObjectBuilder};

use crate::cli;
use crate::error::{ProbeRef, RunError};
use crate::libbpf_log;
use crate::records;
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

/// Something a program's tracepoint record has that this kernel lacks.
struct Lack {
    /// What libbpf's log names when a relocation needed it: `struct tracepoint__c__e.field`
    /// (or the struct alone when the whole tracepoint is missing).
    needle: String,
    /// The sentence for the user.
    text: String,
}

/// This kernel's BTF with the manifest's tracepoint records appended (see [`records`]), in an
/// unnamed temporary file, and what this kernel lacks of them (to explain a failed load).
/// `None` when the program reads no record.
fn record_btf(manifest: &Manifest) -> Result<Option<(File, Vec<Lack>)>, RunError> {
    if manifest.tracepoint_records.is_empty() {
        return Ok(None);
    }
    let records_err = |what: String| RunError::Records(what);
    let base = std::fs::read(sys::VMLINUX_BTF)
        .map_err(|e| records_err(format!("cannot read {}: {e}", sys::VMLINUX_BTF)))?;
    let mut lacks = Vec::new();
    let mut formats = Vec::new();
    for record in &manifest.tracepoint_records {
        let name = format!("{}:{}", record.category, record.event);
        match sys::tracepoint_dir(&record.category, &record.event) {
            Some(dir) => {
                let text = sys::read_text(&dir.join("format"));
                formats.push((record, parse_format(&text)));
            }
            None => lacks.push(Lack {
                needle: format!("struct {}.", record.struct_name()),
                text: format!("tracepoint {name} does not exist on this kernel"),
            }),
        }
    }
    let extended = records::extend(&base, &formats)
        .map_err(|e| records_err(format!("{}: {e}", sys::VMLINUX_BTF)))?;
    for ((record, _), missing) in formats.iter().zip(&extended.missing) {
        for field in missing {
            lacks.push(Lack {
                needle: format!("struct {}.{field} ", record.struct_name()),
                text: format!(
                    "tracepoint {}:{} has no field `{field}` on this kernel",
                    record.category, record.event
                ),
            });
        }
    }
    let mut file = tempfile::tempfile()
        .and_then(|mut f| f.write_all(&extended.btf).map(|()| f))
        .map_err(|e| records_err(format!("cannot write the extended BTF: {e}")))?;
    file.flush()
        .map_err(|e| records_err(format!("cannot write the extended BTF: {e}")))?;
    Ok(Some((file, lacks)))
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
    // Kept open until the load is done: libbpf reads it by path while relocating.
    let records = record_btf(manifest)?;
    if let Some((file, _)) = &records {
        let path = format!("/proc/self/fd/{}", file.as_raw_fd());
        builder
            .btf_custom_path(Path::new(&path))
            .map_err(|e| RunError::Open(e.to_string()))?;
    }
    let lacks = records
        .as_ref()
        .map(|(_, l)| l.as_slice())
        .unwrap_or_default();
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
    open.load().map_err(|e| classify(manifest, &e, lacks))
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

/// Turns a load error plus libbpf's log into the message the user sees; of `lacks` (the
/// tracepoints or fields the program's records have that this kernel does not), those a failed
/// relocation in the log names are the cause and are said first.
fn classify(manifest: &Manifest, e: &libbpf_rs::Error, lacks: &[Lack]) -> RunError {
    let denied = matches!(e.kind(), ErrorKind::PermissionDenied);
    if denied && !sys::privileges().sufficient() {
        return RunError::NeedsRoot;
    }
    let lines = libbpf_log::recent();
    let mut reason = e.to_string();
    for text in explained(lacks, &lines) {
        reason.push_str("; ");
        reason.push_str(text);
    }
    let Some(failure) = libbpf_log::verifier_failure(&lines, VERIFIER_TAIL) else {
        let skip = lines.len().saturating_sub(VERIFIER_TAIL);
        return RunError::Load {
            reason,
            tail: lines[skip..].to_vec(),
        };
    };
    let section = manifest
        .programs
        .iter()
        .find(|p| p.name == failure.program)
        .map(|p| p.section.as_str());
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

/// The sentences of `lacks` whose field (or tracepoint) a line of libbpf's log names.
fn explained<'a>(lacks: &'a [Lack], lines: &[String]) -> Vec<&'a str> {
    lacks
        .iter()
        .filter(|l| lines.iter().any(|line| line.contains(&l.needle)))
        .map(|l| l.text.as_str())
        .collect()
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
    use super::{Lack, btf_refusal_hint, explained};

    #[test]
    fn missing_record_fields_are_named_only_when_a_relocation_needed_them() {
        let lack = |needle: &str, text: &str| Lack {
            needle: needle.into(),
            text: text.into(),
        };
        let lacks = [
            lack(
                "struct tracepoint__block__block_rq_complete.ioprio ",
                "no ioprio",
            ),
            lack("struct tracepoint__block__block_rq_complete.cmd ", "no cmd"),
            lack("struct tracepoint__block__block_bio_bounce.", "no bounce"),
        ];
        let log = [
            "0: <invalid CO-RE relocation>".to_owned(),
            "failed to resolve CO-RE relocation <byte_off> [18] struct \
             tracepoint__block__block_rq_complete.ioprio (0:9 @ offset 32)"
                .to_owned(),
        ];
        assert_eq!(explained(&lacks, &log), ["no ioprio"]);
        let bounce = ["relo #0: struct tracepoint__block__block_bio_bounce.dev (0:1)".to_owned()];
        assert_eq!(explained(&lacks, &bounce), ["no bounce"]);
        assert!(explained(&lacks, &[]).is_empty());
    }

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
