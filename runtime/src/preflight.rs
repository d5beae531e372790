//! `--preflight`: checks privileges, kernel BTF and every attach target without loading
//! anything, printing one line per check. Exit status 0 when all pass, 1 otherwise.

use std::io::Write;
use std::path::Path;

use bccc_manifest::Manifest;

use crate::load::probe_ref;
use crate::signature;
use crate::sys;
use crate::targets::{self, KernelSymbols};

fn line(out: &mut dyn Write, ok: bool, what: &str, detail: &str) -> bool {
    let mark = if ok { "ok  " } else { "FAIL" };
    let _ = writeln!(out, "[{mark}] {what}: {detail}");
    ok
}

/// Runs every check, writes one line each to `out`, returns the exit status.
pub(crate) fn run(manifest: &Manifest, out: &mut dyn Write) -> i32 {
    let mut all = true;
    let privs = sys::privileges();
    let detail = if privs.sufficient() {
        privs.describe()
    } else {
        format!("needs root (CAP_BPF, CAP_PERFMON); {}", privs.describe())
    };
    all &= line(out, privs.sufficient(), "privileges", &detail);
    let btf = sys::has_vmlinux_btf();
    let detail = if btf {
        format!("{} present", sys::VMLINUX_BTF)
    } else {
        format!("{} is missing", sys::VMLINUX_BTF)
    };
    all &= line(out, btf, "kernel BTF", &detail);
    let syms = KernelSymbols::default();
    for prog in &manifest.programs {
        for spec in &prog.attach {
            let what = format!("{spec} (probe {})", probe_ref(manifest, &prog.name));
            all &= match targets::resolve(spec, &syms) {
                Ok(t) => line(out, true, &what, &t.describe()),
                Err(e) => line(out, false, &what, &e.to_string()),
            };
        }
    }
    // Size mismatches do not stop a tool: they are shown, and do not change the verdict.
    for warning in signature::check(manifest, Path::new(sys::VMLINUX_BTF)) {
        let text = warning.strip_prefix("warning: ").unwrap_or(&warning);
        let _ = writeln!(out, "[warn] {text}");
    }
    i32::from(!all)
}
