//! package: `Program` + compiled object → [`Manifest`] (layouts decoded from the object's BTF),
//! then the output file: a copy of the runtime with the payload in a `.bccc.payload` section,
//! written to a temporary file and renamed.

// `Diagnostic` is the project-wide error type these stage functions return by contract.
#![allow(
    clippy::result_large_err,
    reason = "Diagnostic is the shared user-facing error type"
)]

mod diagnostics;
pub mod layout;
mod records;

use std::io::Write as _;
use std::path::Path;

use bccc_manifest::{
    BtfArg, Display, MANIFEST_VERSION, Manifest, MapSpec, Param, ProgramSpec, SourceLoc, ToolInfo,
    payload,
};
use object::build::elf::{Builder, SectionData};

use crate::analyze::{DisplayHint, MapDecl, ParamDecl, Program};
use crate::compile::Object;
use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::source::{SourceFile, Span};
use layout::{BtfMap, ObjectBtf};

/// The runtime built into this bccc (empty when its nested build failed; see build.rs).
static RUNTIME: &[u8] = include_bytes!(env!("BCCC_RUNTIME_PATH"));

/// The section of the object holding `const volatile` globals.
const RODATA: &str = ".rodata";

fn loc(source: &SourceFile, span: Span) -> SourceLoc {
    let (line, column) = source.line_col(span.start);
    SourceLoc { line, column }
}

/// The typed arguments after `ctx` of a BTF program (what the runtime checks against the
/// running kernel's prototype); none for other programs.
fn btf_args(probe: &crate::analyze::Probe) -> Vec<BtfArg> {
    if !probe.section.kind.is_btf() {
        return Vec::new();
    }
    probe
        .params
        .iter()
        .skip(1)
        .map(|p| BtfArg {
            name: p.name.clone(),
            ty: p.ty.clone(),
            size: p.size.and_then(|s| u32::try_from(s).ok()).unwrap_or(0),
        })
        .collect()
}

/// Builds the manifest.
pub fn manifest(
    source: &SourceFile,
    program: &Program,
    object: &Object,
    name: &str,
) -> Result<Manifest, Diagnostics> {
    let btf = ObjectBtf::parse(&object.facts.btf).map_err(|e| diagnostics::btf(&e))?;
    let btf_maps = btf.maps().map_err(|e| diagnostics::btf(&e))?;
    let mut diags = Diagnostics::default();
    let mut programs = Vec::new();
    for probe in &program.probes {
        if object
            .symbol(&probe.function, &probe.section.to_string())
            .is_none()
        {
            diags.push(diagnostics::program_missing(source, probe));
            continue;
        }
        let span = if probe.name_span.is_empty() {
            probe.span
        } else {
            probe.name_span
        };
        programs.push(ProgramSpec {
            name: probe.function.clone(),
            section: probe.section.to_string(),
            attach: probe.attach.clone(),
            loc: loc(source, span),
            btf_args: btf_args(probe),
        });
    }
    let mut maps = Vec::new();
    for decl in &program.maps {
        match map_spec(source, decl, program.c_name(&decl.name), &btf, &btf_maps) {
            Ok(spec) => maps.push(spec),
            Err(d) => diags.push(d),
        }
    }
    let mut params = Vec::new();
    for decl in &program.params {
        match param(decl, program.c_name(&decl.name), object) {
            Some(p) => params.push(p),
            None => diags.push(diagnostics::param_missing(source, decl)),
        }
    }
    let tracepoint_records =
        records::records(&btf, &program.tracepoints).map_err(|e| diagnostics::btf(&e))?;
    let manifest = Manifest {
        version: MANIFEST_VERSION,
        tool: ToolInfo {
            name: name.to_owned(),
            about: program.about.clone(),
            source: source.name(),
        },
        programs,
        maps,
        params,
        trace_printk: object.facts.trace_printk,
        tracepoint_records,
    };
    diags.into_result(manifest)
}

/// The manifest entry of one map; `c_name` is its name in the object (the user's, unless that
/// clashes with a header's declaration).
fn map_spec(
    source: &SourceFile,
    decl: &MapDecl,
    c_name: &str,
    btf: &ObjectBtf,
    btf_maps: &[BtfMap],
) -> Result<MapSpec, Diagnostic> {
    let found = btf_maps
        .iter()
        .find(|m| m.name == c_name)
        .ok_or_else(|| diagnostics::map_missing(source, decl))?;
    let display = match &decl.display {
        DisplayHint::Hidden => Display::Hidden,
        DisplayHint::Counts => Display::Counts,
        DisplayHint::Log2Hist { val_type } => Display::Log2Hist {
            val_type: val_type.clone(),
        },
        DisplayHint::LinearHist { val_type } => Display::LinearHist {
            val_type: val_type.clone(),
        },
        DisplayHint::Events { event_type } => {
            // The anchor names the exact type the program submits; the name is the fallback
            // for rewrites that did not emit one.
            let event = match btf.anchored(&decl.name) {
                Ok(Some(t)) => Some(t),
                Ok(None) => btf
                    .by_name(event_type)
                    .map_err(|e| diagnostics::layout(source, decl, event_type, &e))?,
                Err(e) => return Err(diagnostics::layout(source, decl, event_type, &e)),
            };
            Display::Events {
                event: event.ok_or_else(|| diagnostics::event_missing(source, decl, event_type))?,
            }
        }
    };
    Ok(MapSpec {
        name: decl.name.clone(),
        object_name: (c_name != decl.name).then(|| c_name.to_owned()),
        kind: decl.kind,
        key: found.key.clone(),
        value: found.value.clone(),
        max_entries: found.max_entries.unwrap_or(decl.max_entries),
        display,
        loc: loc(source, decl.span),
    })
}

fn param(decl: &ParamDecl, c_name: &str, object: &Object) -> Option<Param> {
    let sym = object.symbol(c_name, RODATA)?;
    Some(Param {
        name: decl.name.clone(),
        flag: decl.name.replace('_', "-"),
        ty: decl.ty,
        default: decl.default,
        section: RODATA.into(),
        offset: sym.offset as u32,
        help: decl.help.clone(),
        builtin: decl.builtin,
    })
}

/// The runtime executable's bytes: `path` if given, else the one embedded at build time.
pub fn runtime_bytes(path: Option<&Path>) -> Result<Vec<u8>, Diagnostic> {
    match path {
        Some(path) => std::fs::read(path).map_err(|e| diagnostics::runtime_unreadable(path, &e)),
        None if RUNTIME.is_empty() => Err(diagnostics::runtime_not_built()),
        None => Ok(RUNTIME.to_vec()),
    }
}

/// The runtime with `payload` in its `.bccc.payload` section (replacing one already there, so
/// a built tool can serve as `--runtime`).
pub fn embed(runtime: &[u8], payload_bytes: Vec<u8>) -> Result<Vec<u8>, object::build::Error> {
    let mut b = Builder::read(runtime)?;
    let existing = b
        .sections
        .iter()
        .find(|s| s.name.as_slice() == payload::SECTION.as_bytes())
        .map(object::build::elf::Section::id);
    let section = match existing {
        Some(id) => b.sections.get_mut(id),
        None => b.sections.add(),
    };
    section.name = payload::SECTION.into();
    section.sh_type = object::elf::SHT_PROGBITS;
    // Not SHF_ALLOC: the loader never maps it; the runtime reads it from /proc/self/exe.
    section.sh_flags = object::elf::SectionFlags(0);
    section.sh_addralign = 8;
    section.data = SectionData::Data(payload_bytes.into());
    let mut out = Vec::with_capacity(runtime.len() + 64 * 1024);
    b.write(&mut out)?;
    Ok(out)
}

/// Writes the runtime with the payload embedded to `out`, mode 0755.
pub fn write_binary(
    runtime: &[u8],
    manifest: &Manifest,
    object: &Object,
    out: &Path,
) -> Result<(), Diagnostic> {
    let bytes = embed(runtime, payload::encode(manifest, &object.elf))
        .map_err(|e| diagnostics::runtime_not_elf(&e))?;
    write_atomic(out, &bytes, 0o755)
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so
/// `path` is either untouched or complete. The path `-` is standard output.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<(), Diagnostic> {
    use std::os::unix::fs::PermissionsExt;
    if path.as_os_str() == "-" {
        let mut out = std::io::stdout().lock();
        return out
            .write_all(bytes)
            .and_then(|()| out.flush())
            .map_err(|e| diagnostics::write_failed(path, &e));
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let err = |e: std::io::Error| diagnostics::write_failed(path, &e);
    let mut tmp = tempfile::Builder::new()
        .prefix(".bccc-")
        .tempfile_in(dir)
        .map_err(err)?;
    tmp.write_all(bytes).map_err(err)?;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(err)?;
    tmp.persist(path).map_err(|e| err(e.error))?;
    Ok(())
}
