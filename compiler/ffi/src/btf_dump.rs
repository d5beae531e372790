//! libbpf's BTF dumper: BTF → C declarations (`vmlinux.h`).
//!
//! Consumes a BTF file (raw `/sys/kernel/btf/vmlinux` or an ELF with `.BTF`); produces the C text
//! `bpftool btf dump file F format c` prints: an include guard, the `preserve_access_index`
//! pragma around every type (so field accesses become CO-RE relocations) and every type in id
//! order as libbpf's `btf_dump` emits it (forward declarations and ordering included). Reusing
//! libbpf's dumper, which the static libbpf already linked here contains, avoids re-implementing
//! its topological sort, anonymous nesting and bitfield/packing reconstruction.

use std::ffi::{CString, c_char, c_void};
use std::path::{Path, PathBuf};
use std::ptr::NonNull;

use libbpf_sys as sys;

/// Why BTF could not be dumped as C.
#[derive(Debug, thiserror::Error)]
pub enum DumpError {
    /// The path contains a NUL byte and cannot be passed to libbpf.
    #[error("the BTF path {0:?} contains a NUL byte")]
    NulInPath(PathBuf),
    /// libbpf could not open or parse the file.
    #[error("libbpf cannot parse BTF from {path:?}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The errno libbpf reported.
        source: std::io::Error,
    },
    /// libbpf could not set up its dumper.
    #[error("libbpf cannot create a BTF dumper: {0}")]
    NewDumper(std::io::Error),
    /// Dumping one type failed.
    #[error("libbpf cannot dump BTF type id {id}: {source}")]
    DumpType {
        /// The BTF type id.
        id: u32,
        /// The errno libbpf reported.
        source: std::io::Error,
    },
    /// The callback could not format one of libbpf's format strings.
    #[error("formatting libbpf's output failed: {0}")]
    Format(std::io::Error),
}

/// Parsed BTF, freed on drop.
struct Btf(NonNull<sys::btf>);

impl Btf {
    fn parse(path: &Path) -> Result<Btf, DumpError> {
        let c_path = CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| DumpError::NulInPath(path.to_owned()))?;
        // SAFETY: `c_path` is a valid NUL-terminated string that outlives the call; passing a
        // null `btf_ext` tells libbpf not to return .BTF.ext. libbpf 1.x returns NULL and sets
        // errno on failure (libbpf_get_error semantics in 1.0 mode).
        let raw = unsafe { sys::btf__parse(c_path.as_ptr(), std::ptr::null_mut()) };
        NonNull::new(raw).map(Btf).ok_or_else(|| DumpError::Parse {
            path: path.to_owned(),
            source: std::io::Error::last_os_error(),
        })
    }

    fn type_count(&self) -> u32 {
        // SAFETY: `self.0` is a live btf object owned by this wrapper.
        unsafe { sys::btf__type_cnt(self.0.as_ptr()) }
    }
}

impl Drop for Btf {
    fn drop(&mut self) {
        // SAFETY: `self.0` came from btf__parse, is freed exactly once, and no dumper outlives
        // it (`Dumper` borrows `Btf`).
        unsafe { sys::btf__free(self.0.as_ptr()) }
    }
}

/// What the printf callback writes into: the output and the first formatting error.
struct Sink {
    out: Vec<u8>,
    error: Option<std::io::Error>,
}

/// libbpf's `btf_dump`, borrowing the BTF and the sink it prints into; freed on drop.
struct Dumper<'a> {
    raw: NonNull<sys::btf_dump>,
    _btf: &'a Btf,
    _sink: &'a mut Sink,
}

/// The printf callback libbpf calls for every piece of output.
///
/// # Safety
/// `ctx` must be the `*mut Sink` given to `btf_dump__new`; `fmt` and `args` must be a valid
/// format string and its `va_list`, as libbpf guarantees.
unsafe extern "C" fn print_cb(ctx: *mut c_void, fmt: *const c_char, args: *mut sys::__va_list_tag) {
    // SAFETY: ctx is the Sink pointer we registered; the Dumper holds the exclusive borrow of it
    // for as long as libbpf may call back, and nothing else touches it meanwhile.
    let sink = unsafe { &mut *ctx.cast::<Sink>() };
    if sink.error.is_some() {
        return;
    }
    // SAFETY: fmt/args come straight from libbpf's vprintf-style call; vsprintf_raw va_copies
    // the list before formatting, so retrying with a larger buffer is sound. The raw variant is
    // used because identifiers in BTF need not be UTF-8 and this callback must never panic.
    match unsafe { vsprintf::vsprintf_raw(fmt, args) } {
        Ok(bytes) => sink.out.extend_from_slice(&bytes),
        Err(e) => sink.error = Some(e),
    }
}

impl<'a> Dumper<'a> {
    fn new(btf: &'a Btf, sink: &'a mut Sink) -> Result<Dumper<'a>, DumpError> {
        let ctx = std::ptr::from_mut::<Sink>(sink).cast::<c_void>();
        // SAFETY: btf is live for 'a; the callback matches libbpf's btf_dump_printf_fn_t; ctx
        // points to a Sink that stays exclusively borrowed for 'a; null opts means defaults.
        let raw =
            unsafe { sys::btf_dump__new(btf.0.as_ptr(), Some(print_cb), ctx, std::ptr::null()) };
        let raw = NonNull::new(raw)
            .ok_or_else(|| DumpError::NewDumper(std::io::Error::last_os_error()))?;
        Ok(Dumper {
            raw,
            _btf: btf,
            _sink: sink,
        })
    }

    fn dump_type(&mut self, id: u32) -> Result<(), DumpError> {
        // SAFETY: self.raw is a live dumper; libbpf validates `id` and returns -errno when bad.
        let rc = unsafe { sys::btf_dump__dump_type(self.raw.as_ptr(), id) };
        if rc < 0 {
            return Err(DumpError::DumpType {
                id,
                source: std::io::Error::from_raw_os_error(-rc),
            });
        }
        Ok(())
    }
}

impl Drop for Dumper<'_> {
    fn drop(&mut self) {
        // SAFETY: self.raw came from btf_dump__new and is freed exactly once.
        unsafe { sys::btf_dump__free(self.raw.as_ptr()) }
    }
}

const HEADER: &str = "\
#ifndef __VMLINUX_H__
#define __VMLINUX_H__

#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute push (__attribute__((preserve_access_index)), apply_to = record)
#endif

";

const FOOTER: &str = "
#ifndef BPF_NO_PRESERVE_ACCESS_INDEX
#pragma clang attribute pop
#endif

#endif /* __VMLINUX_H__ */
";

/// Dumps every type of the BTF in `btf_path` as C, wrapped the way bpftool wraps `vmlinux.h`.
pub fn dump_c(btf_path: &Path) -> Result<String, DumpError> {
    let btf = Btf::parse(btf_path)?;
    let mut sink = Sink {
        out: Vec::with_capacity(4 << 20),
        error: None,
    };
    {
        let mut dumper = Dumper::new(&btf, &mut sink)?;
        // Type id 0 is `void`; ids run to type_cnt - 1.
        for id in 1..btf.type_count() {
            dumper.dump_type(id)?;
        }
    }
    if let Some(e) = sink.error {
        return Err(DumpError::Format(e));
    }
    let body = String::from_utf8_lossy(&sink.out);
    let mut text = String::with_capacity(HEADER.len() + body.len() + FOOTER.len());
    text.push_str(HEADER);
    text.push_str(&body);
    text.push_str(FOOTER);
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dumps_kernel_btf_with_guard_and_pragma() {
        let text = dump_c(Path::new("/sys/kernel/btf/vmlinux")).expect("this kernel has BTF");
        assert!(text.starts_with("#ifndef __VMLINUX_H__"));
        assert!(
            text.contains("#pragma clang attribute push (__attribute__((preserve_access_index))")
        );
        assert!(text.contains("struct task_struct {"));
        assert!(text.contains("typedef unsigned int __u32;"));
        assert!(text.trim_end().ends_with("#endif /* __VMLINUX_H__ */"));
    }

    #[test]
    fn missing_file_is_an_error_not_a_crash() {
        let err = dump_c(Path::new("/nonexistent/btf")).unwrap_err();
        assert!(matches!(err, DumpError::Parse { .. }), "{err}");
    }
}
