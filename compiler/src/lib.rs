//! bccc: an ahead-of-time compiler for BCC-dialect BPF C.
//!
//! The stages, one module each, in the order [`driver::build`] runs them:
//! [`source`] → [`toolchain`] → [`parse`] → [`analyze`] → [`rewrite`] → [`compile`] → [`package`].

pub mod analyze;
pub mod compile;
pub mod define;
pub mod diagnostics;
pub mod driver;
pub mod package;
pub mod parse;
pub mod rewrite;
pub mod source;
pub mod toolchain;
