//! Every tool in testdata/ compiles to an object the kernel's verifier accepts, one test each.
//! kprobe programs are loaded without attaching (this kernel has no kprobes). This kernel refuses
//! to load BTF tracing programs (fentry, fexit, LSM) at all, with EPERM before the verifier runs:
//! for those, EPERM is the expected answer where a trivial fentry program gets it too, and the VM
//! kernel matrix loads and attaches them. (The conformance suite's programs are loaded by
//! tests/conformance.rs.)

mod common;

use common::fixture::{Group, fixtures};
use libtest_mimic::{Arguments, Trial};

fn main() {
    let args = Arguments::from_args();
    let trials = fixtures(Group::Tool)
        .into_iter()
        .map(|f| {
            Trial::test(f.name.clone(), move || {
                common::kernel_fs();
                let dir = common::scratch(&format!("verifier-{}", f.name));
                common::verify::build_and_load(&f, &dir).map_err(Into::into)
            })
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
