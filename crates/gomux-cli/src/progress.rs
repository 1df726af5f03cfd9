//! gomux-dist's progress drawn on stderr: a bar per download when stderr is a terminal (none
//! in a CI log or a pipe, none with `--no-progress` or `GOMUX_NO_PROGRESS=1`), and every notice
//! as one status line (silenced by `-q`), escaped and with URL passwords redacted.

use std::io::IsTerminal as _;
use std::sync::Mutex;

use gomux_dist::Progress;
use indicatif::{ProgressBar, ProgressStyle};

/// Draws an install's progress on stderr; `prefix` starts every notice (`gomux: ` when
/// working for the proxy).
pub struct Stderr {
    prefix: &'static str,
    /// Whether bars are drawn: only on a terminal.
    bars: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Stderr {
    pub fn new(prefix: &'static str) -> Stderr {
        Stderr {
            prefix,
            bars: std::io::stderr().is_terminal() && crate::render::progress_allowed(),
            bar: Mutex::new(None),
        }
    }

    fn bar(&self) -> Option<ProgressBar> {
        self.bar.lock().ok().and_then(|b| b.clone())
    }
}

impl Progress for Stderr {
    fn start(&self, label: &str, total: Option<u64>) {
        if !self.bars {
            return;
        }
        let bar = match total {
            Some(len) => ProgressBar::new(len),
            None => ProgressBar::new_spinner(),
        };
        if let Ok(style) = ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(label.to_string());
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
        }
    }

    fn advance(&self, bytes: u64) {
        if let Some(bar) = self.bar() {
            bar.inc(bytes);
        }
    }

    fn finish(&self) {
        let bar = self.bar.lock().ok().and_then(|mut b| b.take());
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
    }

    fn notice(&self, message: &str) {
        crate::render::status!(
            "{}{}",
            self.prefix,
            gomux_home::text::report_lines(&gomux_home::text::redact_urls(message))
        );
    }
}
