//! Rendering errors and hints the gomux way: `error: ...`, the causes, then `hint: ...`.

use std::fmt;

/// An error with hints: the message, then one `hint:` line per hint.
#[derive(Debug)]
pub struct WithHints {
    pub message: String,
    pub hints: Vec<String>,
}

impl fmt::Display for WithHints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for WithHints {}

/// Builds an error whose report ends with `hint:` lines.
pub fn with_hint(message: impl Into<String>, hints: &[&str]) -> anyhow::Error {
    anyhow::Error::new(WithHints {
        message: message.into(),
        hints: hints.iter().map(|h| h.to_string()).collect(),
    })
}

/// Prints an error: `error: <message>`, each cause as `  caused by: ...`, then the hints.
pub fn report(err: &anyhow::Error) {
    eprintln!("error: {err}");
    let mut hints = Vec::new();
    for cause in err.chain() {
        if let Some(h) = cause.downcast_ref::<WithHints>() {
            hints.extend(h.hints.iter().cloned());
        }
    }
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
    for hint in hints {
        eprintln!("hint: {hint}");
    }
}
