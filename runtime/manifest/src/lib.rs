//! The contract between `bccc` (the compiler) and the runtime that every built tool carries.
//!
//! Consumes nothing but bytes and strings; produces plain, serializable values:
//! - [`Manifest`]: what a built tool contains (programs, attach specs, maps with their display
//!   roles, layouts decoded from BTF, `const volatile` parameters), versioned;
//! - [`AttachSpec`]: the `--attach` / `// bccc:attach` syntax, parsed and printed;
//! - [`payload`]: how the manifest and the BPF object travel inside a built binary;
//! - [`tracepoint`]: tracefs `format` files, read on the build host and on the target, and the
//!   [`TracepointRecord`]s the runtime describes to CO-RE with the target's offsets.
//!
//! This crate has no side effects (no syscalls, no files), so both the compiler and the
//! runtime can depend on it without pulling in each other's world.

mod attach;
mod layout;
mod manifest;
pub mod payload;
pub mod tracepoint;

pub use attach::{
    AttachParseError, AttachSpec, PerfSample, SYSCALL_PREFIXES, UprobeTarget, syscall_of,
};
pub use layout::{EnumVariant, Field, Type};
pub use manifest::{
    BtfArg, Builtin, Display, MANIFEST_VERSION, Manifest, MapKind, MapSpec, Param, ParamType,
    ParamValue, ProgramSpec, SourceLoc, ToolInfo,
};
pub use tracepoint::{RecordField, TracepointRecord, ValueKind};
