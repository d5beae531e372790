//! The one diagnostic type every stage reports with: a stable code, a message, labelled spans in
//! the user's file and a help line, rendered by miette. Each stage keeps its constructors in its
//! own `diagnostics.rs`; this module only defines the shape.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, NamedSource, Severity, SourceCode};

use crate::source::{SourceFile, Span};

/// One user-facing problem.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Stable code, `bccc::E0101`.
    pub code: &'static str,
    /// One sentence saying what is wrong.
    pub message: String,
    /// Spans in the user's file with short labels; the first is the primary one.
    pub labels: Vec<(Span, String)>,
    /// What to do about it.
    pub help: String,
    /// Error or warning.
    pub severity: Severity,
    /// The file the labels point into, when there are labels.
    pub source: Option<NamedSource<Arc<str>>>,
}

impl Diagnostic {
    /// An error with no span yet (add one with [`Diagnostic::label`]).
    #[must_use]
    pub fn error(
        code: &'static str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            labels: Vec::new(),
            help: help.into(),
            severity: Severity::Error,
            source: None,
        }
    }

    /// A warning with no span yet.
    #[must_use]
    pub fn warning(
        code: &'static str,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message, help)
        }
    }

    /// Adds a labelled span in `file`.
    #[must_use]
    pub fn label(mut self, file: &SourceFile, span: Span, text: impl Into<String>) -> Diagnostic {
        if self.source.is_none() {
            self.source = Some(file.named_source());
        }
        self.labels.push((span, text.into()));
        self
    }

    /// Whether this is an error (as opposed to a warning).
    #[must_use]
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.help.is_empty()).then(|| Box::new(&self.help) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().enumerate().map(
            |(i, (span, text))| {
                let label = (!text.is_empty()).then(|| text.clone());
                if i == 0 {
                    LabeledSpan::new_primary_with_span(label, *span)
                } else {
                    LabeledSpan::new_with_span(label, *span)
                }
            },
        )))
    }
}

/// All diagnostics of the stage that failed (errors and warnings), in source order.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Whether any of them is an error.
    #[must_use]
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }

    /// Adds one.
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// `Ok(value)` when there are no errors, else `Err(self)`.
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.has_errors() {
            Err(self)
        } else {
            Ok(value)
        }
    }

    /// Renders every diagnostic as miette does on a terminal, with or without colour.
    ///
    /// # Panics
    /// Never: rendering into a `String` cannot fail.
    #[must_use]
    pub fn render(&self, color: bool) -> String {
        let theme = if color {
            miette::GraphicalTheme::unicode()
        } else {
            miette::GraphicalTheme::unicode_nocolor()
        };
        let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(100);
        let mut out = String::new();
        for d in &self.0 {
            handler
                .render_report(&mut out, d)
                .expect("rendering to a String cannot fail");
        }
        out
    }

    /// Renders without colour (for tests and logs).
    #[must_use]
    pub fn render_plain(&self) -> String {
        self.render(false)
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors = self.0.iter().filter(|d| d.is_error()).count();
        write!(f, "{errors} error(s)")
    }
}

impl std::error::Error for Diagnostics {}
