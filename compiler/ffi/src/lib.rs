//! Every unsafe call bccc makes, behind safe RAII types:
//! - [`clang`]: libclang through clang-sys (dlopened at run time), with cursors whose lifetime is
//!   tied to their translation unit;
//! - [`btf_dump`]: libbpf's BTF-to-C dumper, which turns kernel BTF into `vmlinux.h`.

pub mod btf_dump;
pub mod clang;
