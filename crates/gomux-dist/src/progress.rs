//! What an install tells its user while it runs, through a trait the caller implements: the
//! library says what happens (a download starts, so many bytes arrived, it ended, a one-line
//! notice), and draws nothing itself. The CLI draws a bar on a terminal and prints the
//! notices; tests collect them or ignore them ([`Silent`]).

/// Receives an install's progress. Every method has a do-nothing default, so an
/// implementation takes only what it shows. Calls may come from the download thread.
pub trait Progress: Send + Sync {
    /// A download named `label` (the archive's file name) starts; `total` is its length in
    /// bytes when the server announced one.
    fn start(&self, label: &str, total: Option<u64>) {
        let _ = (label, total);
    }

    /// `bytes` more bytes of the download arrived.
    fn advance(&self, bytes: u64) {
        let _ = bytes;
    }

    /// The download is over, whole or not: whatever shows it goes away.
    fn finish(&self) {}

    /// One line for the user: waiting for another gomux's lock, trying a download again, a
    /// leftover that could not be removed.
    fn notice(&self, message: &str) {
        let _ = message;
    }
}

/// Reports nothing: the default of a [`crate::Dist`].
pub struct Silent;

impl Progress for Silent {}

/// Only the notices, each handed to a function ([`crate::Dist::with_notify`]).
pub(crate) struct Notices<F>(pub F);

impl<F: Fn(&str) + Send + Sync> Progress for Notices<F> {
    fn notice(&self, message: &str) {
        (self.0)(message)
    }
}
