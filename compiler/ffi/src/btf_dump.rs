//! libbpf's BTF dumper: kernel BTF → C declarations (`vmlinux.h`), and member lookups.
//!
//! Consumes a BTF file (raw `/sys/kernel/btf/vmlinux` or an ELF with `.BTF`) and any number of
//! module BTFs (split BTF on top of it: raw `/sys/kernel/btf/<module>` or a module's `.ko`);
//! produces the C text `bpftool btf dump file F format c` prints: an include guard, the
//! `preserve_access_index` pragma around every type (so field accesses become CO-RE relocations)
//! and every type in id order as libbpf's `btf_dump` emits it (forward declarations and ordering
//! included), the modules' own types after the base's. Reusing libbpf's dumper, which the static
//! libbpf already linked here contains, avoids re-implementing its topological sort, anonymous
//! nesting and bitfield/packing reconstruction. [`KernelBtf::record_members`] answers which
//! members a kernel struct or union has (the rename stage decides CO-RE flavours with it).

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
    /// Module BTFs could not be merged into one split BTF.
    #[error("libbpf cannot merge the module BTFs: {0}")]
    Merge(std::io::Error),
}

/// Parsed BTF, freed on drop.
struct Btf(NonNull<sys::btf>);

fn c_path(path: &Path) -> Result<CString, DumpError> {
    CString::new(path.as_os_str().as_encoded_bytes())
        .map_err(|_| DumpError::NulInPath(path.to_owned()))
}

/// Turns libbpf's own logging off: its BTF errors reach the user as [`DumpError`]s (and bccc
/// diagnostics), not as stray stderr lines.
fn quiet_libbpf() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    // SAFETY: libbpf_set_print only stores the (null) callback pointer.
    ONCE.call_once(|| unsafe {
        sys::libbpf_set_print(None);
    });
}

impl Btf {
    fn parse(path: &Path) -> Result<Btf, DumpError> {
        quiet_libbpf();
        let c_path = c_path(path)?;
        // SAFETY: `c_path` is a valid NUL-terminated string that outlives the call; passing a
        // null `btf_ext` tells libbpf not to return .BTF.ext. libbpf 1.x returns NULL and sets
        // errno on failure (libbpf_get_error semantics in 1.0 mode).
        let raw = unsafe { sys::btf__parse(c_path.as_ptr(), std::ptr::null_mut()) };
        NonNull::new(raw).map(Btf).ok_or_else(|| DumpError::Parse {
            path: path.to_owned(),
            source: std::io::Error::last_os_error(),
        })
    }

    /// Split BTF in `path` (raw or an ELF's `.BTF`) on top of `base`. The result refers to
    /// `base`, which must outlive it ([`KernelBtf`] keeps both).
    fn parse_split(path: &Path, base: &Btf) -> Result<Btf, DumpError> {
        let c_path = c_path(path)?;
        // SAFETY: `c_path` outlives the call; `base` is a live btf object that the caller keeps
        // alive for as long as the returned one (libbpf only reads it).
        let raw = unsafe { sys::btf__parse_split(c_path.as_ptr(), base.0.as_ptr()) };
        NonNull::new(raw).map(Btf).ok_or_else(|| DumpError::Parse {
            path: path.to_owned(),
            source: std::io::Error::last_os_error(),
        })
    }

    /// An empty split BTF on top of `base` (the modules are appended to it).
    fn empty_split(base: &Btf) -> Result<Btf, DumpError> {
        // SAFETY: `base` is live and outlives the result (see `parse_split`).
        let raw = unsafe { sys::btf__new_empty_split(base.0.as_ptr()) };
        NonNull::new(raw)
            .map(Btf)
            .ok_or_else(|| DumpError::Merge(std::io::Error::last_os_error()))
    }

    /// Appends `module`'s own types (both split on the same base).
    fn append(&mut self, module: &Btf) -> Result<(), DumpError> {
        // SAFETY: both are live and share the base object, as btf__add_btf requires.
        let rc = unsafe { sys::btf__add_btf(self.0.as_ptr(), module.0.as_ptr()) };
        if rc < 0 {
            return Err(DumpError::Merge(std::io::Error::from_raw_os_error(-rc)));
        }
        Ok(())
    }

    /// See [`KernelBtf::record_members`].
    fn record_members(&self, name: &str) -> Option<Vec<String>> {
        let c_name = CString::new(name).ok()?;
        let btf = self.0.as_ptr();
        let id = [KIND_STRUCT, KIND_UNION].into_iter().find_map(|kind| {
            // SAFETY: live btf, NUL-terminated name; returns a negative errno when absent.
            let id = unsafe { sys::btf__find_by_name_kind(btf, c_name.as_ptr(), kind) };
            u32::try_from(id).ok()
        })?;
        let mut out = Vec::new();
        self.collect_members(id, &mut out, 0);
        Some(out)
    }

    /// Appends the member names of record `id` to `out`, descending into anonymous records.
    fn collect_members(&self, id: u32, out: &mut Vec<String>, depth: u32) {
        let btf = self.0.as_ptr();
        // SAFETY: live btf; libbpf returns NULL for an id out of range.
        let Some(t) = (unsafe { sys::btf__type_by_id(btf, id).as_ref() }) else {
            return;
        };
        let kind = (t.info >> 24) & 0x1f;
        if depth > 16 || !(kind == KIND_STRUCT || kind == KIND_UNION) {
            return;
        }
        let vlen = (t.info & 0xffff) as usize;
        // SAFETY: a struct/union btf_type is followed in memory by `vlen` btf_member records
        // (the BTF format; libbpf's own btf_members() does the same pointer arithmetic), all
        // inside the BTF's type data, which lives as long as `self`.
        let members = unsafe {
            std::slice::from_raw_parts(std::ptr::from_ref(t).add(1).cast::<sys::btf_member>(), vlen)
        };
        for m in members {
            let name = self.name(m.name_off);
            if name.is_empty() {
                // SAFETY: live btf; resolves typedefs and modifiers, negative when invalid.
                let inner = unsafe { sys::btf__resolve_type(btf, m.type_) };
                if let Ok(inner) = u32::try_from(inner) {
                    self.collect_members(inner, out, depth + 1);
                }
            } else {
                out.push(name);
            }
        }
    }

    fn name(&self, off: u32) -> String {
        // SAFETY: live btf; libbpf returns NULL for an offset out of range, else a pointer into
        // the string section, NUL-terminated.
        let p = unsafe { sys::btf__name_by_offset(self.0.as_ptr(), off) };
        if p.is_null() {
            return String::new();
        }
        // SAFETY: non-null and NUL-terminated (above).
        unsafe { std::ffi::CStr::from_ptr(p) }
            .to_string_lossy()
            .into_owned()
    }

    /// Merges duplicate types (two modules often carry the same types vmlinux lacks).
    fn dedup(&mut self) -> Result<(), DumpError> {
        // SAFETY: live btf; null options mean libbpf's defaults.
        let rc = unsafe { sys::btf__dedup(self.0.as_ptr(), std::ptr::null()) };
        if rc < 0 {
            return Err(DumpError::Merge(std::io::Error::from_raw_os_error(-rc)));
        }
        Ok(())
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

/// A kernel's BTF: vmlinux and, split on top of it, the types of any number of modules.
pub struct KernelBtf {
    // Drop order: the split BTF refers to the base, so it is declared (and dropped) first.
    split: Option<Btf>,
    base: Btf,
}

impl std::fmt::Debug for KernelBtf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KernelBtf")
            .field("types", &self.top().type_count())
            .finish_non_exhaustive()
    }
}

/// BTF kinds as `btf_type.info` encodes them (bits 24..29).
const KIND_STRUCT: u32 = sys::BTF_KIND_STRUCT;
const KIND_UNION: u32 = sys::BTF_KIND_UNION;

impl KernelBtf {
    /// Opens `vmlinux` and the split BTF of each of `modules` (merged and deduplicated).
    pub fn open(vmlinux: &Path, modules: &[std::path::PathBuf]) -> Result<KernelBtf, DumpError> {
        let base = Btf::parse(vmlinux)?;
        let split = match modules {
            [] => None,
            [one] => Some(Btf::parse_split(one, &base)?),
            many => {
                let mut merged = Btf::empty_split(&base)?;
                for m in many {
                    merged.append(&Btf::parse_split(m, &base)?)?;
                }
                merged.dedup()?;
                Some(merged)
            }
        };
        Ok(KernelBtf { split, base })
    }

    /// Which of `modules` (split BTF on `vmlinux`) define a struct or union named in `names`:
    /// each module that defines any, with the names it defines. Modules that do not parse on
    /// this `vmlinux` (another kernel's) are skipped.
    pub fn modules_defining(
        vmlinux: &Path,
        modules: &[std::path::PathBuf],
        names: &[String],
    ) -> Result<Vec<(std::path::PathBuf, Vec<String>)>, DumpError> {
        let base = Btf::parse(vmlinux)?;
        let mut found = Vec::new();
        for m in modules {
            let Ok(split) = Btf::parse_split(m, &base) else {
                continue;
            };
            let have: Vec<String> = names
                .iter()
                .filter(|n| split.record_members(n).is_some())
                .cloned()
                .collect();
            if !have.is_empty() {
                found.push((m.clone(), have));
            }
        }
        Ok(found)
    }

    /// The BTF that sees every type (the split one when there are modules).
    fn top(&self) -> &Btf {
        self.split.as_ref().unwrap_or(&self.base)
    }

    /// The names of the members of the struct or union `name` (anonymous struct and union
    /// members flattened into their parent, as C sees them), or `None` if there is no such
    /// record. A struct wins over a union of the same name.
    #[must_use]
    pub fn record_members(&self, name: &str) -> Option<Vec<String>> {
        self.top().record_members(name)
    }

    /// Every type as C, wrapped the way bpftool wraps `vmlinux.h`.
    pub fn dump_c(&self) -> Result<String, DumpError> {
        dump_btf(self.top())
    }
}

/// Dumps every type of the BTF in `btf_path` as C, wrapped the way bpftool wraps `vmlinux.h`.
pub fn dump_c(btf_path: &Path) -> Result<String, DumpError> {
    dump_btf(&Btf::parse(btf_path)?)
}

fn dump_btf(btf: &Btf) -> Result<String, DumpError> {
    let mut sink = Sink {
        out: Vec::with_capacity(4 << 20),
        error: None,
    };
    {
        let mut dumper = Dumper::new(btf, &mut sink)?;
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
    fn record_members_flatten_anonymous_members() {
        let btf = KernelBtf::open(Path::new("/sys/kernel/btf/vmlinux"), &[]).unwrap();
        let ns = btf
            .record_members("mnt_namespace")
            .expect("mnt_namespace in vmlinux");
        assert!(ns.iter().any(|m| m == "ns"), "{ns:?}");
        // `struct sock`'s first member is `struct sock_common __sk_common`, named; its members
        // are not flattened. `struct page`'s are in anonymous unions, and are.
        let page = btf.record_members("page").unwrap();
        assert!(page.iter().any(|m| m == "flags") && page.iter().any(|m| m == "mapping"));
        assert!(btf.record_members("bccc_no_such_type").is_none());
    }

    #[test]
    fn missing_module_is_an_error_not_a_crash() {
        let err = KernelBtf::open(
            Path::new("/sys/kernel/btf/vmlinux"),
            &["/nonexistent/module".into()],
        )
        .unwrap_err();
        assert!(matches!(err, DumpError::Parse { .. }), "{err}");
    }

    #[test]
    fn missing_file_is_an_error_not_a_crash() {
        let err = dump_c(Path::new("/nonexistent/btf")).unwrap_err();
        assert!(matches!(err, DumpError::Parse { .. }), "{err}");
    }
}
