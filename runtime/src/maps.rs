//! Reading maps from the kernel: the loaded object's tables and histograms → [`Entry`] lists
//! (per-CPU values folded) for [`view::render`], and clearing them between intervals.

use std::fmt::Write as _;

use bccc_manifest::{Display, Manifest, MapSpec, Type};
use libbpf_rs::{Map, MapCore, MapFlags, Object};

use crate::error::RunError;
use crate::value;
use crate::view::{self, Entry, ViewOptions};

fn shown(spec: &MapSpec) -> bool {
    matches!(
        spec.display,
        Display::Counts | Display::Log2Hist { .. } | Display::LinearHist { .. }
    )
}

fn read_error(spec: &MapSpec, e: &libbpf_rs::Error) -> RunError {
    RunError::MapRead {
        map: spec.name.clone(),
        reason: e.to_string(),
    }
}

fn value_type(spec: &MapSpec, size: u32) -> Type {
    spec.value.clone().unwrap_or(Type::Int {
        size,
        signed: false,
        char: false,
    })
}

/// Every entry of `map`; per-CPU values summed; all-zero array slots left out (arrays always
/// hold every key, and BCC tools print only what was counted).
fn entries(map: &Map<'_>, spec: &MapSpec) -> Result<Vec<Entry>, RunError> {
    let vty = value_type(spec, map.value_size());
    let mut out = Vec::new();
    for key in map.keys() {
        let value = if spec.kind.is_percpu() {
            let Some(per_cpu) = map
                .lookup_percpu(&key, MapFlags::ANY)
                .map_err(|e| read_error(spec, &e))?
            else {
                continue;
            };
            let mut acc = vec![0u8; map.value_size() as usize];
            for v in &per_cpu {
                value::add_into(&vty, &mut acc, v);
            }
            acc
        } else {
            let Some(v) = map
                .lookup(&key, MapFlags::ANY)
                .map_err(|e| read_error(spec, &e))?
            else {
                continue;
            };
            v
        };
        if spec.kind.is_array() && value.iter().all(|b| *b == 0) {
            continue;
        }
        out.push(Entry { key, value });
    }
    Ok(out)
}

/// Empties `map`: hash keys are deleted, array slots zeroed.
fn clear(map: &Map<'_>, spec: &MapSpec) -> Result<(), RunError> {
    let keys: Vec<Vec<u8>> = map.keys().collect();
    let zero = vec![0u8; map.value_size() as usize];
    for key in keys {
        let r = if !spec.kind.is_array() {
            map.delete(&key)
        } else if spec.kind.is_percpu() {
            let cpus = map
                .lookup_percpu(&key, MapFlags::ANY)
                .ok()
                .flatten()
                .map_or(0, |v| v.len());
            map.update_percpu(&key, &vec![zero.clone(); cpus], MapFlags::ANY)
        } else {
            map.update(&key, &zero, MapFlags::ANY)
        };
        // A key deleted concurrently by the BPF program is not an error.
        if let Err(e) = r
            && e.kind() != libbpf_rs::ErrorKind::NotFound
        {
            return Err(read_error(spec, &e));
        }
    }
    Ok(())
}

/// Renders every table and histogram (empty if there are none); with `clear_after`, empties
/// each map once it has been read.
pub(crate) fn render_all(
    obj: &Object,
    manifest: &Manifest,
    opts: ViewOptions,
    clear_after: bool,
) -> Result<String, RunError> {
    let specs: Vec<&MapSpec> = manifest.maps.iter().filter(|m| shown(m)).collect();
    // Several tables, or a table after event lines: say which is which, as BCC tools with
    // several outputs do by hand.
    let events = manifest
        .maps
        .iter()
        .any(|m| matches!(m.display, Display::Events { .. }));
    let titled = (specs.len() > 1 || events) && !opts.json;
    let mut text = String::new();
    for spec in &specs {
        let map = obj
            .maps()
            .find(|m| m.name() == spec.object_name())
            .ok_or_else(|| RunError::Missing {
                what: "map",
                name: spec.name.clone(),
            })?;
        let entries = entries(&map, spec)?;
        if clear_after {
            clear(&map, spec)?;
        }
        if titled {
            let _ = write!(text, "\n{}:\n", spec.name);
        }
        text.push_str(&view::render(spec, &entries, opts));
    }
    Ok(text)
}
