//! The CLI's log lines: `-v`, `-vv` and `GOMUX_LOG` (`info`, `debug`, `gomux_dist=debug,warn`)
//! turn on the `tracing` events of the gomux crates (and, when asked, of the crates below them)
//! and print them on stderr, one escaped line each, URL passwords redacted.
//!
//! The choice: the libraries speak through the `tracing` facade alone (already in the tree
//! below the HTTP client); this module is the whole subscriber, a few dozen lines instead of
//! `tracing-subscriber` and its dependencies. It reads the same filter syntax: comma-separated
//! directives, each a level, a target (all its events) or `target=level`; the longest matching
//! target wins, a bare level is the default for the rest. Nothing is installed when neither
//! `-v` nor `GOMUX_LOG` asks for it, so a plain command pays nothing. The proxy never links it.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use gomux_home::text;
use tracing::field::{Field, Visit};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Level, Metadata, span};

/// A parsed filter: `(target, level)` directives, `None` for the default level.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    directives: Vec<(Option<String>, LevelFilter)>,
}

impl FromStr for Filter {
    type Err = String;

    fn from_str(s: &str) -> Result<Filter, String> {
        let mut directives = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let directive = match part.split_once('=') {
                Some((target, level)) => {
                    let level = LevelFilter::from_str(level.trim())
                        .map_err(|_| format!("`{}` is not a level", text::escape(level)))?;
                    (Some(target.trim().to_string()), level)
                }
                None => match LevelFilter::from_str(part) {
                    Ok(level) => (None, level),
                    Err(_) if is_target(part) => (Some(part.to_string()), LevelFilter::TRACE),
                    Err(_) => {
                        return Err(format!(
                            "`{}` is neither a level nor a target",
                            text::escape(part)
                        ));
                    }
                },
            };
            if directive.0.as_deref().is_some_and(|t| !is_target(t)) {
                return Err(format!("`{}` is not a target", text::escape(part)));
            }
            directives.push(directive);
        }
        Ok(Filter { directives })
    }
}

fn is_target(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '-')
}

impl Filter {
    /// The filter `-v` flags mean when `GOMUX_LOG` is unset: `-v` gomux's own debug lines,
    /// `-vv` its trace lines and the debug lines of the crates below (HTTP, TLS), `-vvv`
    /// everything.
    pub fn for_verbosity(verbose: u8) -> Option<Filter> {
        let spec = match verbose {
            0 => return None,
            1 => "gomux=debug",
            2 => "debug,gomux=trace",
            _ => "trace",
        };
        spec.parse().ok()
    }

    /// The level this filter lets through for `target`.
    pub fn level_for(&self, target: &str) -> LevelFilter {
        let mut best: Option<(usize, LevelFilter)> = None;
        let mut default = LevelFilter::OFF;
        for (t, level) in &self.directives {
            match t {
                None => default = *level,
                Some(t) if target.starts_with(t.as_str()) => {
                    if best.is_none_or(|(len, _)| t.len() >= len) {
                        best = Some((t.len(), *level));
                    }
                }
                Some(_) => {}
            }
        }
        best.map_or(default, |(_, level)| level)
    }

    fn max(&self) -> LevelFilter {
        self.directives
            .iter()
            .map(|(_, l)| *l)
            .max()
            .unwrap_or(LevelFilter::OFF)
    }
}

/// How many `-v` the command line had.
static VERBOSE: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

/// How many `-v` the command line had (for commands whose `-v` output is not a log line).
pub fn verbosity() -> u8 {
    VERBOSE.load(std::sync::atomic::Ordering::Relaxed)
}

/// Installs the subscriber for `GOMUX_LOG` (when set and not empty) or else for `-v`; a
/// `GOMUX_LOG` that cannot be read is a warning, and `-v` applies then.
pub fn init(verbose: u8) {
    VERBOSE.store(verbose, std::sync::atomic::Ordering::Relaxed);
    let from_env = std::env::var_os(gomux_home::env::GOMUX_LOG).filter(|v| !v.is_empty());
    let filter = match from_env {
        Some(v) => match v
            .to_str()
            .ok_or_else(|| "it is not valid UTF-8".to_string())
            .and_then(str::parse)
        {
            Ok(f) => Some(f),
            Err(why) => {
                crate::render::warning(&format!("`{}` ignored: {why}", gomux_home::env::GOMUX_LOG));
                crate::render::hint(
                    "give a level (`info`, `debug`) or `target=level` pairs: `GOMUX_LOG=gomux_dist=debug,warn`",
                );
                Filter::for_verbosity(verbose)
            }
        },
        None => Filter::for_verbosity(verbose),
    };
    if let Some(filter) = filter {
        // Fails only when a subscriber is already installed: then that one stays.
        let _ = tracing::subscriber::set_global_default(Stderr { filter });
    }
}

/// Prints each enabled event as `level: target: message key=value...` on stderr.
struct Stderr {
    filter: Filter,
}

impl tracing::Subscriber for Stderr {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.filter.level_for(metadata.target()) >= *metadata.level()
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(self.filter.max())
    }

    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        // Spans are not shown; every one gets the same id.
        span::Id::from_u64(1)
    }

    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}

    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut line = Line::default();
        event.record(&mut line);
        let meta = event.metadata();
        let level = match *meta.level() {
            Level::ERROR => "error",
            Level::WARN => "warn",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        };
        let message = text::report_lines(&text::redact_urls(&format!(
            "{}{}",
            line.message, line.fields
        )));
        crate::render::log_line(level, meta.target(), &message);
    }

    fn enter(&self, _: &span::Id) {}

    fn exit(&self, _: &span::Id) {}
}

#[derive(Default)]
struct Line {
    message: String,
    fields: String,
}

impl Visit for Line {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> Filter {
        s.parse().expect(s)
    }

    #[test]
    fn filters_read_as_tracing_reads_them() {
        let filter = f("gomux_dist=debug,warn");
        assert_eq!(filter.level_for("gomux_dist::install"), LevelFilter::DEBUG);
        assert_eq!(filter.level_for("hyper::client"), LevelFilter::WARN);
        assert_eq!(f("info").level_for("gomux_cli"), LevelFilter::INFO);
        // The longest target wins, whatever the order.
        let filter = f("gomux=trace,gomux_dist=info");
        assert_eq!(filter.level_for("gomux_dist"), LevelFilter::INFO);
        assert_eq!(filter.level_for("gomux_cli::dist"), LevelFilter::TRACE);
        assert_eq!(filter.level_for("reqwest"), LevelFilter::OFF);
        // A bare target is all of its events.
        assert_eq!(f("gomux_cli").level_for("gomux_cli"), LevelFilter::TRACE);
        assert_eq!(f("").level_for("gomux_cli"), LevelFilter::OFF);
        assert_eq!(f(" DEBUG , ").level_for("x"), LevelFilter::DEBUG);
        assert!("gomux=loud".parse::<Filter>().is_err());
        assert!("a b".parse::<Filter>().is_err());
        assert!("=debug".parse::<Filter>().is_err());
        assert_eq!(Filter::for_verbosity(0), None);
        let v = Filter::for_verbosity(1).expect("-v");
        assert_eq!(v.level_for("gomux_dist"), LevelFilter::DEBUG);
        assert_eq!(v.level_for("hyper"), LevelFilter::OFF);
    }
}
