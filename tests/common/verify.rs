//! Building a fixture's object and loading it into this kernel (no attach): the verifier is the
//! judge. Shared by tests/verifier.rs (tools) and tests/conformance.rs (the dialect suite).

use std::path::Path;

use super::fixture::Fixture;

/// Where objects say the uprobe target is (loading never attaches, so any path does).
const TARGET: &str = "/bin/true";

/// Runs `bccc build` for `fixture` with `extra` arguments; the output on success, stderr on failure.
pub(crate) fn try_build(fixture: &Fixture, extra: &[&str]) -> Result<std::process::Output, String> {
    let args = fixture.build_args(Path::new(TARGET));
    let out = super::bccc()
        .arg("build")
        .arg(&fixture.path)
        .args(&args)
        .args(extra)
        .output()
        .expect("run bccc");
    if out.status.success() {
        Ok(out)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Builds `fixture`'s tool into `dir` and loads its object as the tool would (tracepoint records
/// described from this kernel's format files), without attaching; `Err` says why not.
pub(crate) fn build_and_load(fixture: &Fixture, dir: &Path) -> Result<(), String> {
    let tool = dir.join(&fixture.name);
    try_build(fixture, &["-o", tool.to_str().expect("utf-8 path")])
        .map_err(|stderr| format!("bccc build failed:\n{stderr}"))?;
    let bytes = std::fs::read(&tool).map_err(|e| e.to_string())?;
    let (manifest, object) = super::run::payload(&bytes);
    if manifest.programs.is_empty() {
        return Err("no programs in the object".into());
    }
    match bccc_runtime::verify(&manifest, object) {
        Ok(()) => Ok(()),
        // This kernel refuses BTF tracing programs before the verifier runs (EPERM: "Operation
        // not permitted").
        Err(e)
            if has_btf_tracing(object)
                && !super::run::fentry_loads()
                && e.to_string().contains("Operation not permitted") =>
        {
            Ok(())
        }
        Err(e) => Err(format!("the kernel refused the object: {e}")),
    }
}

/// Whether the object has BTF tracing programs (fentry, fexit, LSM).
fn has_btf_tracing(object: &[u8]) -> bool {
    let file = object::File::parse(object).expect("bccc writes valid ELF");
    object::Object::sections(&file).any(|s| {
        object::ObjectSection::name(&s).is_ok_and(|n| {
            ["fentry/", "fexit/", "lsm/"]
                .iter()
                .any(|p| n.starts_with(p))
        })
    })
}

/// Builds an `error` fixture into `dir`: the build must fail with diagnostic `code` pointing into
/// the fixture's file, without a panic and without writing anything. Returns the rendered
/// diagnostics.
pub(crate) fn expect_error(fixture: &Fixture, dir: &Path, code: &str) -> Result<String, String> {
    let out_path = dir.join(&fixture.name);
    let Err(stderr) = try_build(fixture, &["-o", out_path.to_str().expect("utf-8 path")]) else {
        return Err(format!("bccc accepted it; expected {code}"));
    };
    let file = format!("{}.c:", fixture.name);
    let mut why = Vec::new();
    if !stderr.contains(code) {
        why.push(format!("no {code}"));
    }
    if !stderr.contains(&file) {
        why.push(format!("no span in {file}"));
    }
    if stderr.contains("panicked") {
        why.push("panicked".to_owned());
    }
    if std::fs::read_dir(dir).map_or(0, Iterator::count) > 0 {
        why.push("the failed build left files behind".to_owned());
    }
    if why.is_empty() {
        Ok(stderr)
    } else {
        Err(format!("{}:\n{stderr}", why.join(", ")))
    }
}
