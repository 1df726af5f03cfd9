//! The marked block `gomux setup` keeps in the shell profiles: which profiles there are, the
//! block's text in each syntax, and adding or removing it.
//!
//! The design decision to know: the block is the only thing setup writes outside GOMUX_HOME,
//! and it is written so that removing it restores each profile byte for byte. It goes at the
//! end of the file preceded by one line break (which also ends a last line that had none);
//! removal takes the block and that one line break. A file setup had to create says so inside
//! its block, so uninstall deletes it again when nothing else was added to it. Running setup
//! again leaves a block that is already right untouched.
//!
//! A profile is the user's file, so it is edited like a database: read, changed and written
//! back under the `profiles` update lock (two setups at once never lose each other's edit or
//! the user's lines), and written through [`fsx::write_atomic`] (a kill or a full disk leaves
//! the old profile whole; a profile that is a symbolic link is written at its target and stays
//! a link; its mode and owner are kept).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use gomux_home::fsx::{self, FsError, ReadError};
use gomux_home::{Home, exe, text};

use super::quote::{fish_quote, pwsh_quote, sh_quote};
use crate::render::with_hint;

/// The update lock held while profiles are edited (`GOMUX_HOME/tmp/.update-profiles.lock`).
const PROFILES_LOCK: &str = "profiles";

/// The syntax of the shell setup runs in (`$SHELL`), for the lines it suggests.
pub fn current_syntax(env: &dyn Fn(&str) -> Option<OsString>) -> Syntax {
    match super::user_shell(env).as_str() {
        "fish" => Syntax::Fish,
        "pwsh" | "powershell" => Syntax::PowerShell,
        _ if cfg!(windows) => Syntax::PowerShell,
        _ => Syntax::Posix,
    }
}

/// The lines that put the proxies first on PATH in one shell (and export a custom
/// GOMUX_HOME), quoted so that any folder name is safe to paste.
pub fn path_lines(syntax: Syntax, bin: &Path, home: Option<&Path>) -> Vec<String> {
    let bin_text = bin.to_string_lossy();
    let mut lines = Vec::new();
    match syntax {
        Syntax::Posix => {
            if let Some(h) = home {
                lines.push(format!(
                    "export GOMUX_HOME={}",
                    sh_quote(&h.to_string_lossy())
                ));
            }
            let plain = bin_text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/._-+@%,~".contains(&b));
            lines.push(if plain {
                format!("export PATH=\"{bin_text}:$PATH\"")
            } else {
                format!("export PATH={}\":$PATH\"", sh_quote(&bin_text))
            });
        }
        Syntax::Fish => {
            if let Some(h) = home {
                lines.push(format!(
                    "set -gx GOMUX_HOME {}",
                    fish_quote(&h.to_string_lossy())
                ));
            }
            lines.push(format!("set -gx PATH {} $PATH", fish_quote(&bin_text)));
        }
        Syntax::PowerShell => {
            if let Some(h) = home {
                lines.push(format!(
                    "$env:GOMUX_HOME = {}",
                    pwsh_quote(&h.to_string_lossy())
                ));
            }
            lines.push(format!(
                "$env:PATH = {} + [IO.Path]::PathSeparator + $env:PATH",
                pwsh_quote(&bin_text)
            ));
        }
    }
    lines
}

/// The syntax a profile is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// sh, bash, zsh.
    Posix,
    Fish,
    PowerShell,
}

/// A shell profile gomux knows about.
#[derive(Clone, Debug)]
pub struct Profile {
    pub path: PathBuf,
    pub syntax: Syntax,
    /// True when setup writes the block there; uninstall looks at every profile.
    pub wanted: bool,
}

/// Every profile gomux may write, and which of them setup writes to: each existing bash, zsh,
/// fish and PowerShell profile, the one of the user's own shell (`$SHELL`) even when missing,
/// and `~/.profile` when it exists or nothing else was chosen.
pub fn profiles(env: &dyn Fn(&str) -> Option<OsString>) -> Vec<Profile> {
    let var = |k: &str| env(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    let Some(home) = var("HOME").or_else(|| var("USERPROFILE")) else {
        return Vec::new();
    };
    let user_shell = super::user_shell(env);
    let user_shell = user_shell.as_str();
    let mut out = Vec::new();
    let mut push = |path: PathBuf, syntax, own: bool| {
        let folder_exists = path.parent().is_some_and(Path::is_dir);
        let wanted = path.is_file() || (own && folder_exists);
        out.push(Profile {
            path,
            syntax,
            wanted,
        });
    };
    if cfg!(windows) {
        let docs = home.join("Documents");
        push(
            docs.join("PowerShell")
                .join("Microsoft.PowerShell_profile.ps1"),
            Syntax::PowerShell,
            true,
        );
        push(
            docs.join("WindowsPowerShell")
                .join("Microsoft.PowerShell_profile.ps1"),
            Syntax::PowerShell,
            false,
        );
        // Windows PowerShell's folder may be missing: create the file when PowerShell 7's is.
        if let Some(first) = out.first_mut()
            && !first.wanted
            && first
                .path
                .parent()
                .and_then(Path::parent)
                .is_some_and(Path::is_dir)
        {
            first.wanted = true;
        }
        return out;
    }
    push(home.join(".bashrc"), Syntax::Posix, user_shell == "bash");
    push(home.join(".bash_profile"), Syntax::Posix, false);
    push(home.join(".bash_login"), Syntax::Posix, false);
    let zdotdir = var("ZDOTDIR").unwrap_or_else(|| home.clone());
    push(zdotdir.join(".zshrc"), Syntax::Posix, user_shell == "zsh");
    let config = var("XDG_CONFIG_HOME")
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| home.join(".config"));
    let fish_dir = config.join("fish");
    push(
        fish_dir.join("config.fish"),
        Syntax::Fish,
        user_shell == "fish" || fish_dir.is_dir(),
    );
    let pwsh_dir = config.join("powershell");
    let pwsh_own = user_shell == "pwsh" || pwsh_dir.is_dir() || on_path(env, "pwsh").is_some();
    push(
        pwsh_dir.join("Microsoft.PowerShell_profile.ps1"),
        Syntax::PowerShell,
        pwsh_own,
    );
    // The fish and PowerShell folders may be created (one level, under an existing parent).
    for p in out.iter_mut() {
        let own = match p.syntax {
            Syntax::Fish => user_shell == "fish" || fish_dir.is_dir(),
            Syntax::PowerShell => pwsh_own,
            Syntax::Posix => false,
        };
        if own
            && !p.wanted
            && p.path
                .parent()
                .and_then(Path::parent)
                .is_some_and(Path::is_dir)
        {
            p.wanted = true;
        }
    }
    let profile = home.join(".profile");
    let chosen = out.iter().any(|p| p.wanted);
    let wanted = profile.is_file() || !chosen;
    out.push(Profile {
        path: profile,
        syntax: Syntax::Posix,
        wanted,
    });
    out
}

/// The first `name` executable on PATH.
fn on_path(env: &dyn Fn(&str) -> Option<OsString>, name: &str) -> Option<PathBuf> {
    let path = env("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(exe(name)))
        .find(|p| p.is_file())
}

const START: &str = "# >>> gomux >>>";
const END: &str = "# <<< gomux <<<";
const ABOUT: &str =
    "# Added by `gomux setup`: puts gomux's `go` and `gofmt` proxies first on PATH.";
const REMOVES: &str = "# `gomux setup --uninstall` removes this block.";
const REMOVES_FILE: &str =
    "# `gomux setup --uninstall` removes this block, and this file, which setup created.";
const REMOVES_FILE_AND_DIR: &str = "# `gomux setup --uninstall` removes this block, and this file and its folder, which setup created.";

/// What setup created to hold a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Created {
    Nothing,
    File,
    FileAndDir,
}

/// The block for one profile, lines ending with `nl`.
fn block(syntax: Syntax, bin: &Path, home: Option<&Path>, created: Created, nl: &str) -> String {
    let bin_text = bin.to_string_lossy();
    let mut lines: Vec<String> = vec![
        START.into(),
        ABOUT.into(),
        match created {
            Created::Nothing => REMOVES,
            Created::File => REMOVES_FILE,
            Created::FileAndDir => REMOVES_FILE_AND_DIR,
        }
        .into(),
    ];
    let home = home.map(|h| h.to_string_lossy().into_owned());
    match syntax {
        Syntax::Posix => {
            let b = sh_quote(&bin_text);
            if let Some(h) = &home {
                lines.push(format!("export GOMUX_HOME={}", sh_quote(h)));
            }
            lines.push("case \":${PATH}:\" in".into());
            lines.push(format!("    :{b}:*) ;;"));
            lines.push(format!(
                "    *) export PATH={b}\"${{PATH:+:${{PATH}}}}\" ;;"
            ));
            lines.push("esac".into());
        }
        Syntax::Fish => {
            let b = fish_quote(&bin_text);
            if let Some(h) = &home {
                lines.push(format!("set -gx GOMUX_HOME {}", fish_quote(h)));
            }
            lines.push(format!("if test \"$PATH[1]\" != {b}"));
            lines.push(format!("    set -gx PATH {b} $PATH"));
            lines.push("end".into());
        }
        Syntax::PowerShell => {
            let b = pwsh_quote(&bin_text);
            if let Some(h) = &home {
                lines.push(format!("$env:GOMUX_HOME = {}", pwsh_quote(h)));
            }
            lines.push(format!(
                "if ((\"$env:PATH\" -split [IO.Path]::PathSeparator)[0] -ne {b}) {{"
            ));
            lines.push(format!(
                "    $env:PATH = {b} + [IO.Path]::PathSeparator + $env:PATH"
            ));
            lines.push("}".into());
        }
    }
    lines.push(END.into());
    let mut text = lines.join(nl);
    text.push_str(nl);
    text
}

/// Where a block sits in a profile's text: `start..end` covers its lines and their line breaks.
#[derive(Debug, PartialEq, Eq)]
struct Span {
    start: usize,
    end: usize,
    created: Created,
    crlf: bool,
}

/// Finds the gomux block; an opening marker without its closing one is an error.
fn find_block(text: &str, path: &Path) -> anyhow::Result<Option<Span>> {
    let mut offset = 0;
    let mut open: Option<(usize, bool)> = None;
    let mut created = Created::Nothing;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end_matches(['\n', '\r']);
        match open {
            None if bare == START => {
                open = Some((offset, line.ends_with("\r\n")));
                created = Created::Nothing;
            }
            Some((start, crlf)) => {
                if bare == REMOVES_FILE {
                    created = Created::File;
                } else if bare == REMOVES_FILE_AND_DIR {
                    created = Created::FileAndDir;
                } else if bare == END {
                    return Ok(Some(Span {
                        start,
                        end: offset + line.len(),
                        created,
                        crlf,
                    }));
                }
            }
            None => {}
        }
        offset += line.len();
    }
    if open.is_some() {
        return Err(with_hint(
            format!(
                "`{}` has a `{START}` line without its `{END}` line",
                path.display()
            ),
            &["fix or remove the gomux block in that file by hand, then run `gomux setup` again"],
        ));
    }
    Ok(None)
}

/// The text without the block and the one line break setup put before it.
fn without_block(text: &str, span: &Span) -> String {
    let before = &text[..span.start];
    let before = match before.strip_suffix("\r\n").filter(|_| span.crlf) {
        Some(b) => b,
        None => before.strip_suffix('\n').unwrap_or(before),
    };
    format!("{before}{}", &text[span.end..])
}

/// What setup did to one profile.
#[derive(Debug, PartialEq, Eq)]
pub enum Added {
    Created,
    Appended,
    Updated,
    Unchanged,
    Skipped,
}

/// The new text of a profile: the block appended (after one line break) or replaced in place;
/// `None` when the right block is already there.
fn with_block(
    text: &str,
    path: &Path,
    make: impl Fn(Created, &str) -> String,
) -> anyhow::Result<Option<String>> {
    match find_block(text, path)? {
        Some(span) => {
            let nl = if span.crlf { "\r\n" } else { "\n" };
            let new = make(span.created, nl);
            if text[span.start..span.end] == new {
                return Ok(None);
            }
            Ok(Some(format!(
                "{}{new}{}",
                &text[..span.start],
                &text[span.end..]
            )))
        }
        None => {
            let nl = if text.contains("\r\n") { "\r\n" } else { "\n" };
            let sep = if text.is_empty() { "" } else { nl };
            Ok(Some(format!("{text}{sep}{}", make(Created::Nothing, nl))))
        }
    }
}

/// The largest profile setup edits (a FIFO or a device is never opened for reading either).
const MAX_PROFILE: u64 = 16 * 1024 * 1024;

/// A profile's text; `None` when it does not exist.
fn read_profile(path: &Path) -> anyhow::Result<Option<String>> {
    let bytes = fsx::read_bounded(path, MAX_PROFILE).map_err(|e| match e {
        ReadError::Io(e) => e.into(),
        other => crate::render::add_hints(
            other,
            &["add the gomux block by hand (`gomux setup --no-modify-path` prints it)"],
        ),
    })?;
    bytes
        .map(|b| {
            String::from_utf8(b).map_err(|_| {
                with_hint(
                    format!("`{}` is not UTF-8 text", text::escape_path(path)),
                    &["add the gomux block by hand (`gomux setup --no-modify-path` prints it)"],
                )
            })
        })
        .transpose()
}

/// Adds or updates the block in one profile. The caller holds the profiles' update lock.
fn add_block(p: &Profile, bin: &Path, home: Option<&Path>) -> anyhow::Result<Added> {
    let make = |created, nl: &str| block(p.syntax, bin, home, created, nl);
    if let Some(text) = read_profile(&p.path)? {
        let had = find_block(&text, &p.path)?.is_some();
        return match with_block(&text, &p.path, make)? {
            None => Ok(Added::Unchanged),
            Some(new) => {
                fsx::write_atomic(&p.path, new.as_bytes())?;
                Ok(if had { Added::Updated } else { Added::Appended })
            }
        };
    }
    let Some(dir) = p.path.parent() else {
        return Ok(Added::Skipped);
    };
    let created = if dir.is_dir() {
        Created::File
    } else if dir.parent().is_some_and(Path::is_dir) {
        std::fs::create_dir(dir).map_err(|e| FsError::new("create", dir, e))?;
        Created::FileAndDir
    } else {
        return Ok(Added::Skipped);
    };
    let nl = if cfg!(windows) { "\r\n" } else { "\n" };
    fsx::write_atomic(&p.path, make(created, nl).as_bytes())?;
    Ok(Added::Created)
}

/// Adds or updates the block in each of `wanted`, all under the profiles' update lock; `done`
/// hears of each profile as soon as it is written.
pub fn add_blocks(
    home: &Home,
    wanted: &[Profile],
    bin: &Path,
    custom_home: Option<&Path>,
    mut done: impl FnMut(&Profile, Added),
) -> anyhow::Result<()> {
    // Read, change and write back every profile while no other setup does.
    let _lock = home.lock_update(PROFILES_LOCK)?;
    for p in wanted {
        let outcome = add_block(p, bin, custom_home)?;
        done(p, outcome);
    }
    Ok(())
}

/// Removes the block from every profile that holds one (and the file setup created for it,
/// when nothing else is in it), under the profiles' update lock; `done` hears what happened
/// to each profile as soon as it is written.
pub fn remove_blocks(
    home: &Home,
    env: &dyn Fn(&str) -> Option<OsString>,
    mut done: impl FnMut(&Path, &'static str),
) -> anyhow::Result<()> {
    let with_blocks: Vec<Profile> = profiles(env)
        .into_iter()
        .filter(|p| has_block(&p.path))
        .collect();
    if with_blocks.is_empty() {
        return Ok(());
    }
    // Read again under the lock: another setup may be writing the same profiles.
    let _lock = home.lock_update(PROFILES_LOCK)?;
    for p in &with_blocks {
        if let Some(what) = remove_block(&p.path)? {
            done(&p.path, what);
        }
    }
    Ok(())
}

/// True when `path` holds a gomux block (for `gomux doctor`).
pub fn has_block(path: &Path) -> bool {
    read_profile(path)
        .ok()
        .flatten()
        .and_then(|t| find_block(&t, path).ok().flatten())
        .is_some()
}

/// Removes the block from one profile, and the file (and folder) setup created for it when
/// nothing else is in them. Returns what happened, for the report. The caller holds the
/// profiles' update lock.
fn remove_block(path: &Path) -> anyhow::Result<Option<&'static str>> {
    // A profile gomux cannot read (not text, not a regular file) holds no block of its own.
    let Ok(Some(text)) = read_profile(path) else {
        return Ok(None);
    };
    let Some(span) = find_block(&text, path)? else {
        return Ok(None);
    };
    let rest = without_block(&text, &span);
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if rest.is_empty() && span.created != Created::Nothing && !is_link {
        std::fs::remove_file(path).map_err(|e| FsError::new("remove", path, e))?;
        if span.created == Created::FileAndDir
            && let Some(dir) = path.parent()
        {
            // Only when empty: anything else in it is not ours.
            let _ = std::fs::remove_dir(dir);
        }
        return Ok(Some("removed (setup had created it)"));
    }
    fsx::write_atomic(path, rest.as_bytes())?;
    Ok(Some("gomux block removed"))
}
#[cfg(test)]
mod tests {
    use super::*;

    fn posix(created: Created, nl: &str) -> String {
        block(Syntax::Posix, Path::new("/h/.gomux/bin"), None, created, nl)
    }

    #[test]
    fn adding_then_removing_restores_the_text() {
        let p = Path::new("/h/.bashrc");
        for original in [
            "",
            "alias ll='ls -l'\n",
            "no newline at the end",
            "a\r\nb\r\n",
            "\n\n",
        ] {
            let added = with_block(original, p, posix).unwrap().unwrap();
            assert!(added.starts_with(original));
            assert_eq!(with_block(&added, p, posix).unwrap(), None, "idempotent");
            let span = find_block(&added, p).unwrap().unwrap();
            assert_eq!(without_block(&added, &span), original, "{original:?}");
            // Lines the user adds after the block survive its removal.
            let later = format!("{added}export EDITOR=vi\n");
            let span = find_block(&later, p).unwrap().unwrap();
            assert_eq!(
                without_block(&later, &span),
                format!("{original}export EDITOR=vi\n")
            );
        }
        let crlf = with_block("a\r\n", p, posix).unwrap().unwrap();
        assert!(crlf.ends_with("# <<< gomux <<<\r\n"), "{crlf:?}");
    }

    #[test]
    fn a_changed_block_is_replaced_in_place() {
        let p = Path::new("/h/.zshrc");
        let old = format!("a\n\n{}b\n", posix(Created::File, "\n"));
        let with_home = |c, nl: &str| {
            block(
                Syntax::Posix,
                Path::new("/d/gomux/bin"),
                Some(Path::new("/d/gomux")),
                c,
                nl,
            )
        };
        let new = with_block(&old, p, with_home).unwrap().unwrap();
        assert!(new.starts_with("a\n\n# >>> gomux >>>\n"));
        assert!(new.ends_with("# <<< gomux <<<\nb\n"));
        assert!(new.contains("export GOMUX_HOME='/d/gomux'\n"));
        assert!(new.contains(REMOVES_FILE), "the created flag is kept");
        assert_eq!(find_block(&new, p).unwrap().unwrap().created, Created::File);
    }

    #[test]
    fn an_unclosed_block_is_an_error() {
        let err = find_block("x\n# >>> gomux >>>\nexport PATH=x\n", Path::new("/p")).unwrap_err();
        assert!(
            err.to_string()
                .contains("without its `# <<< gomux <<<` line")
        );
    }

    #[test]
    fn blocks_in_each_syntax() {
        let bin = Path::new("/it's/bin");
        let fish = block(Syntax::Fish, bin, None, Created::Nothing, "\n");
        assert!(fish.contains(
            "if test \"$PATH[1]\" != '/it\\'s/bin'\n    set -gx PATH '/it\\'s/bin' $PATH\nend\n"
        ));
        let ps = block(
            Syntax::PowerShell,
            bin,
            Some(Path::new("/g")),
            Created::Nothing,
            "\n",
        );
        assert!(ps.contains("$env:GOMUX_HOME = '/g'\n"));
        assert!(ps.contains("$env:PATH = '/it''s/bin' + [IO.Path]::PathSeparator + $env:PATH"));
        let sh = block(Syntax::Posix, bin, None, Created::Nothing, "\n");
        assert!(sh.contains("    :'/it'\\''s/bin':*) ;;\n"));
        assert!(sh.contains("    *) export PATH='/it'\\''s/bin'\"${PATH:+:${PATH}}\" ;;\n"));
    }
}
