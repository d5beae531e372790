//! The generated kernel header set's report of what it left out (`headers/kernel/dropped.tsv`,
//! written by tools/kheaders): a kernel name → the header that defines it and why bccc's set
//! lacks it, so a use of the name is explained instead of clang's bare "undeclared identifier".

use std::collections::HashMap;
use std::sync::OnceLock;

use super::cache::KERNEL_HEADERS;

/// Why the generator dropped a kernel name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// `CONFIG_*` or the `IS_ENABLED()` family: the build's kernel config is not the target's.
    Kconfig,
    /// libbpf or bccc define the name.
    Prelude,
    /// Defining it would change a libbpf/bccc macro expanded after the kernel header.
    BreaksPrelude,
    /// A typedef or enumerator of vmlinux.h.
    Vmlinux,
    /// Its value differs between kernels and no CO-RE form exists.
    Differs,
    /// It needs something bccc cannot provide (a kernel function or variable, a dropped name).
    Depends,
    /// A static inline function that is not a pure computation or field read.
    Helper,
    /// It did not compile against vmlinux.h.
    Compile,
    /// Its header has no `#include <...>` name.
    Unnamed,
    /// Only older kernels define it; the set follows the newest.
    Older,
}

impl DropReason {
    fn parse(s: &str) -> Option<DropReason> {
        Some(match s {
            "kconfig" => DropReason::Kconfig,
            "prelude" => DropReason::Prelude,
            "breaks-prelude" => DropReason::BreaksPrelude,
            "vmlinux" => DropReason::Vmlinux,
            "differs" => DropReason::Differs,
            "depends" => DropReason::Depends,
            "helper" => DropReason::Helper,
            "compile" => DropReason::Compile,
            "unnamed-header" => DropReason::Unnamed,
            "older-only" => DropReason::Older,
            _ => return None,
        })
    }
}

/// One dropped name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dropped {
    /// The header that defines it (`linux/fs.h`), empty when unknown.
    pub header: &'static str,
    /// Why it was dropped.
    pub reason: DropReason,
    /// The generator's detail (values per kernel, the missing dependency, ...).
    pub detail: &'static str,
}

fn table() -> &'static HashMap<&'static str, Dropped> {
    static TABLE: OnceLock<HashMap<&'static str, Dropped>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let text = KERNEL_HEADERS
            .iter()
            .find(|(n, _)| *n == "dropped.tsv")
            .map_or("", |(_, t)| *t);
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let mut f = l.splitn(4, '\t');
                let (name, header, reason, detail) = (f.next()?, f.next()?, f.next()?, f.next()?);
                let reason = DropReason::parse(reason)?;
                Some((
                    name,
                    Dropped {
                        header,
                        reason,
                        detail,
                    },
                ))
            })
            .collect()
    })
}

/// Why the kernel name `name` is not in bccc's header set, if the generator dropped it. Every
/// `CONFIG_*` option is (the report does not list them one by one).
#[must_use]
pub fn dropped(name: &str) -> Option<Dropped> {
    table().get(name).copied().or_else(|| {
        name.starts_with("CONFIG_").then_some(Dropped {
            header: "",
            reason: DropReason::Kconfig,
            detail: "a kernel configuration option",
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_of_the_report_parses() {
        let (_, text) = KERNEL_HEADERS
            .iter()
            .find(|(n, _)| *n == "dropped.tsv")
            .expect("the set ships its report");
        let rows = text.lines().filter(|l| !l.starts_with('#')).count();
        assert!(rows > 0);
        assert_eq!(table().len(), rows, "a row with an unknown reason or shape");
    }

    #[test]
    fn a_config_dependent_constant_is_explained() {
        let d = dropped("CONFIG_NUMA").expect("CONFIG_* are dropped");
        assert_eq!(d.reason, DropReason::Kconfig);
        assert!(
            dropped("IS_ENABLED").is_none(),
            "IS_ENABLED is kept, as a load-time test"
        );
        assert!(
            dropped("TASK_RUNNING").is_none(),
            "kept names are not in the report"
        );
    }
}
