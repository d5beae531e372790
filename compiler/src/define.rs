//! `-D NAME[=VALUE]` definitions: a leaf type the parse and compile stages share, so no stage
//! depends on the driver.

/// A `-D NAME[=VALUE]` definition, passed to both the parse and the compile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Define {
    /// Macro name.
    pub name: String,
    /// Value, if given.
    pub value: Option<String>,
}

impl Define {
    /// The clang flag for this definition.
    #[must_use]
    pub fn flag(&self) -> String {
        match &self.value {
            Some(v) => format!("-D{}={v}", self.name),
            None => format!("-D{}", self.name),
        }
    }
}
