//! Safe wrappers over libclang.

/// A libclang index (owns `CXIndex`).
#[derive(Debug)]
pub struct Index {
    _private: (),
}
