//! `gomux config list|get|set|unset`: the settings registry (`gomux_home::config::ALL`) from
//! the command line.
//!
//! Nothing here knows a setting by heart. `list` and `get` read each setting through the
//! registry's own lookup, so they show the value gomux really uses and where it came from (a
//! variable, `settings.toml`, the default). `set` checks a value by reading it back with the
//! very reader that reads the file (a one-line settings text given to `cache_mode`,
//! `cache_root`, the mirror source...), so a value `set` accepts is one every `go` call accepts;
//! then it edits `settings.toml` in place, as `gomux default` does (under the update lock,
//! through `write_atomic`, every comment and other key kept).

use std::ffi::OsString;
use std::process::ExitCode;

use gomux_home::config::{self, Def, Kind, Origin};
use gomux_home::settings::{Settings, SettingsError, Value, keys};
use gomux_home::{cache as policy, env as vars, text};
use gomux_version::Request;

use crate::context::Context;
use crate::json;
use crate::render::with_hint;
use crate::request::parse_request;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Sub,
}

#[derive(clap::Subcommand)]
enum Sub {
    /// Every setting with its value and where it comes from (variable, settings file, default).
    List {
        /// Print one JSON object (docs/json.md)
        #[arg(long)]
        json: bool,
    },
    /// Print a setting's effective value.
    Get {
        /// A settings key (`cache.mode`) or a variable (`GOMUX_LOCK_TIMEOUT`)
        key: String,
    },
    /// Set a key in settings.toml (checked first; comments and other keys are kept).
    Set {
        /// A settings key (`cache.mode`, `dist.server`, ...)
        key: String,
        /// The value (`shared`, `true`, `https://mirror.example/go/`, ...)
        value: String,
    },
    /// Remove a key from settings.toml (its default applies again).
    Unset {
        /// A settings key
        key: String,
    },
}

pub fn run(ctx: &Context, args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        Sub::List { json } => list(ctx, json),
        Sub::Get { key } => get(ctx, &key),
        Sub::Set { key, value } => set(ctx, &key, &value),
        Sub::Unset { key } => unset(ctx, &key),
    }
}

fn env(k: &str) -> Option<OsString> {
    std::env::var_os(k)
}

/// A setting's effective value, the origin's short name and line.
struct Effective {
    value: Option<String>,
    origin: &'static str,
    line: Option<usize>,
}

fn effective(ctx: &Context, def: &Def, settings: &Settings) -> anyhow::Result<Effective> {
    let found = def
        .lookup(&env, || Ok::<_, SettingsError>(settings))
        .map_err(|e| anyhow::Error::new(e).context(format!("cannot read `{}`", def.name())))?;
    Ok(match found {
        Some((raw, Origin::Setting { line, .. })) => Effective {
            value: Some(raw.into_string()),
            origin: "settings",
            line: Some(line),
        },
        Some((raw, _)) => Effective {
            value: Some(raw.into_string()),
            origin: "variable",
            line: None,
        },
        None => Effective {
            value: plain_default(ctx, def),
            origin: "default",
            line: None,
        },
    })
}

/// The default as one value, when the docs give it as one (`` `project` ``, `` `600` ``); the
/// cache root's is worked out. None for a default in words ("the official downloads").
fn plain_default(ctx: &Context, def: &Def) -> Option<String> {
    if def.key == Some(keys::CACHE_ROOT) {
        return Some(json::path(&ctx.home.default_cache_root()));
    }
    let inner = def.default.strip_prefix('`')?.strip_suffix('`')?;
    (!inner.contains('`') && !inner.contains('$')).then(|| inner.to_string())
}

fn list(ctx: &Context, as_json: bool) -> anyhow::Result<ExitCode> {
    let settings = ctx.settings()?;
    let mut rows = Vec::new();
    for def in config::ALL {
        rows.push((def, effective(ctx, def, &settings)?));
    }
    if as_json {
        let settings = rows
            .iter()
            .map(|(def, e)| json::ConfigSetting {
                key: def.key.map(str::to_string),
                variable: def.var.map(str::to_string),
                value: e.value.clone(),
                origin: e.origin,
                line: e.line,
                default: def.default.to_string(),
            })
            .collect();
        json::print(&json::Config {
            file: json::path(&ctx.home.settings_file()),
            settings,
        })?;
        return Ok(ExitCode::SUCCESS);
    }
    let width = config::ALL
        .iter()
        .map(|d| d.name().len())
        .max()
        .unwrap_or(0);
    let file = text::escape_path(&ctx.home.settings_file());
    for (def, e) in rows {
        let value = match &e.value {
            Some(v) => text::escape_max(v, 2000),
            None => format!("(default: {})", def.default.replace('`', "")),
        };
        let from = match (e.origin, e.line) {
            ("settings", Some(line)) => format!("  [{file}:{line}]"),
            ("variable", _) => format!("  [{}]", def.var.unwrap_or_default()),
            _ => String::new(),
        };
        println!("{:<width$}  {value}{from}", def.name());
    }
    Ok(ExitCode::SUCCESS)
}

fn get(ctx: &Context, name: &str) -> anyhow::Result<ExitCode> {
    let def = find(name, false)?;
    let settings = ctx.settings()?;
    let e = effective(ctx, def, &settings)?;
    match e.value {
        Some(v) => {
            println!("{}", text::escape_max(&v, 2000));
            Ok(ExitCode::SUCCESS)
        }
        None => {
            eprintln!(
                "note: `{}` is not set; the default is {}",
                def.name(),
                def.default
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

fn set(ctx: &Context, name: &str, input: &str) -> anyhow::Result<ExitCode> {
    let def = find(name, true)?;
    let key = def.key.unwrap_or_default();
    let value = parse_value(ctx, def, input)?;
    check(ctx, def, &value)?;
    ctx.home.update_setting(key, Some(&value))?;
    let shown = match &value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    eprintln!(
        "set `{key}` to `{}` in `{}`",
        text::escape(&shown),
        text::escape_path(&ctx.home.settings_file())
    );
    overridden_note(def);
    Ok(ExitCode::SUCCESS)
}

fn unset(ctx: &Context, name: &str) -> anyhow::Result<ExitCode> {
    let def = find(name, true)?;
    let key = def.key.unwrap_or_default();
    let was_set = ctx.settings()?.line(key).is_some();
    ctx.home.update_setting(key, None)?;
    let file = text::escape_path(&ctx.home.settings_file());
    if was_set {
        eprintln!("removed `{key}` from `{file}`");
    } else {
        eprintln!("`{key}` was not set in `{file}`");
    }
    overridden_note(def);
    Ok(ExitCode::SUCCESS)
}

/// Says so when the setting's variable is set: it wins over the file.
fn overridden_note(def: &Def) {
    if let Some(var) = def.var
        && env(var).is_some_and(|v| !v.is_empty())
    {
        eprintln!("note: `{var}` is set in the environment and wins over the settings file");
    }
}

/// The value as the file stores it: a boolean for a boolean setting, the toolchain as
/// `gomux default` stores it, else the string.
fn parse_value(ctx: &Context, def: &Def, input: &str) -> anyhow::Result<Value> {
    let key = def.key.unwrap_or_default();
    match def.kind {
        Kind::Bool | Kind::OptIn => match input {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(with_hint(
                format!("`{}` is not a valid value for `{key}`", text::escape(input)),
                &[&format!("`{key}` takes `true` or `false`")],
            )),
        },
        Kind::Toolchain => Ok(Value::String(match parse_request(ctx, input)? {
            Request::Exact(name) => name,
            Request::Family(f) => f,
        })),
        _ => Ok(Value::String(input.to_string())),
    }
}

/// Reads `value` back with the reader every `go` call uses for the key, from a one-line
/// settings text: what it refuses is refused here, in its words.
fn check(ctx: &Context, def: &Def, value: &Value) -> anyhow::Result<()> {
    let key = def.key.unwrap_or_default();
    let one = Settings::parse(&ctx.home.settings_file(), &format!("{key} = {value}\n"))?;
    let none = |_: &str| None;
    let refused = |e: &dyn std::fmt::Display| {
        // The reader's message says where the value came from (here, nowhere yet) and ends
        // with what to use (`unknown cache mode `x` (from ...); use one of ...`).
        let message = without_origin(&e.to_string());
        let (why, allowed) = match message.rsplit_once("; ") {
            Some((why, tail)) => (why.to_string(), tail.to_string()),
            None => (message, format!("`{key}` takes {}", def.kind.describe())),
        };
        with_hint(format!("`{key}`: {why}; nothing was written"), &[&allowed])
    };
    match key {
        keys::CACHE_MODE => policy::cache_mode(&one, &none)
            .map(drop)
            .map_err(|e| refused(&e)),
        keys::CACHE_ROOT => policy::cache_root(&ctx.home, &one, &none)
            .map(drop)
            .map_err(|e| refused(&e)),
        keys::CACHE_BASE => policy::base::base_enabled(&one, &none)
            .map(drop)
            .map_err(|e| refused(&e)),
        keys::DIST_SERVER | keys::DIST_INDEX => {
            // Whether plain HTTP is allowed is the environment's to say, as for every call.
            let allow = |k: &str| (k == vars::GOMUX_DIST_ALLOW_HTTP).then(|| env(k)).flatten();
            gomux_dist::Source::configured(allow, &one)
                .map(drop)
                .map_err(|e| refused(&e))
        }
        keys::DEFAULT_TOOLCHAIN => gomux_resolve::launch::default_toolchain(&one)
            .map(drop)
            .map_err(|e| refused(&e)),
        // Every other key is a boolean or free text: its type was checked above.
        _ => Ok(()),
    }
}

/// `message` without its ` (from ...)` part.
fn without_origin(message: &str) -> String {
    let Some(start) = message.find(" (from ") else {
        return message.to_string();
    };
    let mut depth = 0usize;
    for (i, c) in message[start..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    let end = start + i + 1;
                    return format!("{}{}", &message[..start], &message[end..]);
                }
            }
            _ => {}
        }
    }
    message.to_string()
}

/// The setting `name` names: a key, or (for `get`) a variable. An unknown name is an error
/// with the nearest known names.
fn find(name: &str, settable: bool) -> anyhow::Result<&'static Def> {
    if let Some(def) = config::find_key(name) {
        return Ok(def);
    }
    if let Some(def) = config::find_var(name) {
        if !settable {
            return Ok(def);
        }
        return Err(match def.key {
            Some(key) => with_hint(
                format!("`{name}` is an environment variable, not a settings key"),
                &[&format!(
                    "its key in settings.toml is `{key}`: `gomux config set {key} VALUE`"
                )],
            ),
            None => with_hint(
                format!("`{name}` is set only in the environment; it has no settings key"),
                &[&format!("set it in your shell: `export {name}=VALUE`")],
            ),
        });
    }
    let names: Vec<&str> = config::ALL
        .iter()
        .flat_map(|d| d.key.into_iter().chain(d.var))
        .collect();
    let mut hints = Vec::new();
    if let Some(near) = nearest(name, &names) {
        hints.push(format!("did you mean `{near}`?"));
    }
    hints.push("`gomux config list` shows every setting".to_string());
    let hints: Vec<&str> = hints.iter().map(String::as_str).collect();
    Err(with_hint(
        format!("unknown setting `{}`", text::escape_max(name, 200)),
        &hints,
    ))
}

/// The known name closest to `name`: one that ends with it (`mode` for `cache.mode`), else
/// the fewest edits away when that is few enough to be a typo.
fn nearest<'a>(name: &str, names: &[&'a str]) -> Option<&'a str> {
    let lower = name.to_ascii_lowercase();
    if lower.is_empty() {
        return None;
    }
    if let Some(n) = names
        .iter()
        .find(|n| n.ends_with(&format!(".{lower}")) || n.eq_ignore_ascii_case(&lower))
    {
        return Some(n);
    }
    let (best, distance) = names
        .iter()
        .map(|n| (*n, edits(&lower, &n.to_ascii_lowercase())))
        .min_by_key(|(_, d)| *d)?;
    (distance <= (lower.chars().count() / 3).max(2)).then_some(best)
}

/// The edit distance between two strings (insertions, deletions, substitutions).
fn edits(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_key() {
        let names = [
            "cache.mode",
            "cache.root",
            "dist.server",
            "GOMUX_CACHE_MODE",
        ];
        assert_eq!(nearest("cache.mdoe", &names), Some("cache.mode"));
        assert_eq!(nearest("mode", &names), Some("cache.mode"));
        assert_eq!(nearest("dist.sever", &names), Some("dist.server"));
        assert_eq!(
            nearest("gomux_cache_mode", &names),
            Some("GOMUX_CACHE_MODE")
        );
        assert_eq!(nearest("colour", &names), None);
        assert_eq!(edits("kitten", "sitting"), 3);
        assert_eq!(
            without_origin("unknown cache mode `x` (from setting `a` in `/p (1)/s:1`); use one"),
            "unknown cache mode `x`; use one"
        );
    }
}
