//! What the user can do about an error: the one trait every gomux library error implements.

/// The lines that say what to do about an error, printed after its message as `hint: ...` by
/// the CLI and by the proxy. Every error type of the gomux library crates implements it, so the
/// hint for a full disk or a bad settings line is written once, in the crate that owns the
/// error, and reaches the user whichever program reports it.
///
/// The convention that goes with it: a gomux error's message already says what its sources say
/// (escaped, without Rust's `(os error N)`), so a report prints the chain of causes down to the
/// first gomux error and asks that error for its hints, not its sources.
pub trait Hints {
    /// One line per hint, without the `hint: ` prefix; none when there is nothing to add.
    fn hints(&self) -> Vec<String> {
        Vec::new()
    }
}

impl<T: Hints + ?Sized> Hints for &T {
    fn hints(&self) -> Vec<String> {
        (**self).hints()
    }
}
