//! Reading the small files that choose a toolchain: `.go-version`, `.tool-versions`, and the
//! `go`/`toolchain` lines of go.mod and go.work.
//!
//! Module files are not parsed in full: like the Go command's startup selection, only the first
//! line starting with the key followed by a space or tab counts, cut at `//` and trimmed.

use std::path::Path;

use gomux_version::Request;

use crate::ResolveError;

/// A value read from a file, with its 1-based line number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lined<T> {
    pub value: T,
    pub line: usize,
}

/// The `go` and `toolchain` lines of a go.mod or go.work (quick scan).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ModuleLines {
    pub go: Option<Lined<String>>,
    pub toolchain: Option<Lined<String>>,
}

/// Scans module file text for the first `go` and `toolchain` lines, as Go's `GoModLookup`.
pub fn scan_module_text(text: &str) -> ModuleLines {
    ModuleLines {
        go: lookup(text, "go"),
        toolchain: lookup(text, "toolchain"),
    }
}

fn lookup(text: &str, key: &str) -> Option<Lined<String>> {
    for (i, line) in text.split('\n').enumerate() {
        let line = line.trim_matches([' ', '\t', '\r']);
        let Some(rest) = line.strip_prefix(key) else {
            continue;
        };
        if !rest.starts_with([' ', '\t']) {
            continue;
        }
        let rest = match rest.find("//") {
            Some(j) => &rest[..j],
            None => rest,
        };
        return Some(Lined {
            value: rest.trim_matches([' ', '\t', '\r']).to_string(),
            line: i + 1,
        });
    }
    None
}

/// Reads a go.mod or go.work and scans it.
pub fn scan_module_file(path: &Path) -> Result<ModuleLines, ResolveError> {
    let bytes = std::fs::read(path).map_err(|e| ResolveError::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    Ok(scan_module_text(&String::from_utf8_lossy(&bytes)))
}

/// Strips a `#` comment and surrounding whitespace (including `\r`) from a pin-file line.
fn clean_line(line: &str) -> &str {
    let line = match line.find('#') {
        Some(i) => &line[..i],
        None => line,
    };
    line.trim()
}

fn bad_line(path: &Path, line: usize, message: String) -> ResolveError {
    ResolveError::PinFile {
        path: path.to_path_buf(),
        line,
        message,
    }
}

fn parse_version(path: &Path, line: usize, word: &str) -> Result<Request, ResolveError> {
    Request::parse(word).map_err(|e| bad_line(path, line, e.to_string()))
}

/// Parses `.go-version`: one version (`1.22.3`, `go1.22.3`, `go 1.22.3`, `1.22`), `#` comments,
/// blank lines, CRLF and a UTF-8 BOM tolerated.
pub fn parse_go_version(path: &Path, text: &str) -> Result<Lined<Request>, ResolveError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut found: Option<Lined<Request>> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = clean_line(raw);
        if line.is_empty() {
            continue;
        }
        if found.is_some() {
            return Err(bad_line(
                path,
                i + 1,
                format!("unexpected `{line}`: a `.go-version` file holds one version"),
            ));
        }
        let word = match line.strip_prefix("go") {
            Some(rest) if rest.starts_with([' ', '\t']) => rest.trim(),
            _ => line,
        };
        found = Some(Lined {
            value: parse_version(path, i + 1, word)?,
            line: i + 1,
        });
    }
    found.ok_or_else(|| bad_line(path, 1, "the file names no Go version".to_string()))
}

/// Parses `.tool-versions`: the `golang` (or `go`) line, if any. Other tools' lines are ignored.
pub fn parse_tool_versions(
    path: &Path,
    text: &str,
) -> Result<Option<Lined<Request>>, ResolveError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (i, raw) in text.lines().enumerate() {
        let line = clean_line(raw);
        let mut words = line.split_whitespace();
        let Some(tool) = words.next() else {
            continue;
        };
        if tool != "golang" && tool != "go" {
            continue;
        }
        let Some(version) = words.next() else {
            return Err(bad_line(
                path,
                i + 1,
                format!("`{tool}` needs a version, such as `{tool} 1.22.3`"),
            ));
        };
        return Ok(Some(Lined {
            value: parse_version(path, i + 1, version)?,
            line: i + 1,
        }));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lined(value: &str, line: usize) -> Option<Lined<String>> {
        Some(Lined {
            value: value.to_string(),
            line,
        })
    }

    #[test]
    fn quick_scan_matches_go() {
        let m = scan_module_text(
            "module x\n\n// go 1.30.0\ngodebug default=go1.30\n\tgo\t1.25.0 // comment\r\ngo 1.99\ntoolchain go1.25.1 // pinned\ntool example.com/x\n",
        );
        assert_eq!(m.go, lined("1.25.0", 5));
        assert_eq!(m.toolchain, lined("go1.25.1", 7));
        let m =
            scan_module_text("require (\n\tgo.opentelemetry.io/otel v1\n)\ntool x\ntoolchain\n");
        assert_eq!(m, ModuleLines::default());
        let m = scan_module_text("go \"1.25.0\"\n");
        assert_eq!(m.go, lined("\"1.25.0\"", 1));
        let m = scan_module_text("go (\n1.22\n)\n");
        assert_eq!(m.go, lined("(", 1));
    }

    #[test]
    fn go_version_files() {
        let p = Path::new("/p/.go-version");
        let ok = |t: &str| parse_go_version(p, t).unwrap().value;
        let exact = |s: &str| Request::Exact(s.to_string());
        assert_eq!(ok("1.22.3\n"), exact("go1.22.3"));
        assert_eq!(ok("\u{feff}go1.22.3\r\n"), exact("go1.22.3"));
        assert_eq!(
            ok("# pinned by the team\n\n  go 1.22.3  # lts\r\n"),
            exact("go1.22.3")
        );
        assert_eq!(ok("1.22"), Request::Family("1.22".into()));
        let l = parse_go_version(p, "# c\n\n1.21.0\n").unwrap();
        assert_eq!(l.line, 3);
        for (text, line) in [
            ("1.22.3\n1.21.0\n", 2),
            ("\n\nbanana\n", 3),
            ("../../x\n", 1),
            ("", 1),
        ] {
            let e = parse_go_version(p, text).unwrap_err();
            match &e {
                ResolveError::PinFile { line: l, .. } => assert_eq!(*l, line, "{e}"),
                other => panic!("{other:?}"),
            }
            assert!(
                e.to_string()
                    .starts_with(&format!("/p/.go-version:{line}: ")),
                "{e}"
            );
        }
    }

    #[test]
    fn tool_versions_files() {
        let p = Path::new("/p/.tool-versions");
        let r =
            parse_tool_versions(p, "nodejs 20.1.0\r\n# x\ngolang 1.22.3 1.21.0 # two\n").unwrap();
        assert_eq!(
            r,
            Some(Lined {
                value: Request::Exact("go1.22.3".into()),
                line: 3
            })
        );
        assert_eq!(
            parse_tool_versions(p, "nodejs 20\npython 3.11\n").unwrap(),
            None
        );
        assert_eq!(
            parse_tool_versions(p, "go 1.23").unwrap().map(|l| l.value),
            Some(Request::Family("1.23".into()))
        );
        let e = parse_tool_versions(p, "nodejs 20\ngolang\n").unwrap_err();
        assert!(e.to_string().starts_with("/p/.tool-versions:2: "), "{e}");
        let e = parse_tool_versions(p, "golang ref:abc\n").unwrap_err();
        assert!(e.to_string().starts_with("/p/.tool-versions:1: "), "{e}");
    }
}
