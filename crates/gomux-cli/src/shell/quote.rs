//! Quoting a value for each shell gomux prints lines for, so that any path or value is safe
//! to paste or `eval`: whatever it holds (a quote, a line break, `$(...)`) stays one word.

/// `'text'` for POSIX shells (a `'` becomes `'\''`).
pub fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// `'text'` for fish (`\` and `'` escaped with a backslash).
pub fn fish_quote(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// `'text'` for PowerShell: each single quote is doubled, and PowerShell counts the
/// typographic ones (`‘ ’ ‚ ‛`) as single quotes too.
pub fn pwsh_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// `set "name=value"` for cmd.exe; `None` when the value holds a line break or a `"`, which
/// cmd has no quoting for (printing it would run the rest of the line).
pub fn cmd_set(name: &str, value: &str) -> Option<String> {
    (!value.contains(['\n', '\r', '"'])).then(|| format!("set \"{name}={value}\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("/a b/it's"), r"'/a b/it'\''s'");
        assert_eq!(fish_quote(r"C:\it's"), r"'C:\\it\'s'");
        assert_eq!(pwsh_quote("it's"), "'it''s'");
        // PowerShell ends a '...' string at a typographic quote too.
        assert_eq!(pwsh_quote("a\u{2019}; x"), "'a\u{2019}\u{2019}; x'");
    }

    /// What fish makes of a single-quoted word: `\\` and `\'` are its only escapes, and
    /// nothing else (line breaks, `$`, parentheses) is special inside it.
    fn fish_unquote(word: &str) -> Option<String> {
        let inner = word.strip_prefix('\'')?.strip_suffix('\'')?;
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next()? {
                    e @ ('\\' | '\'') => out.push(e),
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                },
                // An unescaped quote would end the word early.
                '\'' => return None,
                c => out.push(c),
            }
        }
        Some(out)
    }

    /// What PowerShell makes of a single-quoted string: a doubled quote is one quote, and a
    /// lone one (of any of its four kinds) ends the string.
    fn pwsh_unquote(word: &str) -> Option<String> {
        let quote = |c: char| matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201a}' | '\u{201b}');
        let inner = word.strip_prefix('\'')?.strip_suffix('\'')?;
        let mut out = String::new();
        let mut chars = inner.chars().peekable();
        while let Some(c) = chars.next() {
            if quote(c) {
                if chars.peek().copied().is_some_and(quote) {
                    chars.next();
                } else {
                    return None;
                }
            }
            out.push(c);
        }
        Some(out)
    }

    const HOSTILE: &[&str] = &[
        "a\n touch PWNED #",
        "$(touch PWNED)",
        "`touch PWNED`",
        "it's \"quoted\" \\ back\\slash\\",
        "x'; touch PWNED; echo '",
        "end\\",
        "\u{2018}smart\u{2019} \u{201a}\u{201b}",
        "(touch PWNED); $env:X; {}",
        "tab\there\r\n",
    ];

    #[test]
    fn hostile_values_survive_each_shells_quoting() {
        for v in HOSTILE {
            assert_eq!(
                fish_unquote(&fish_quote(v)).as_deref(),
                Some(*v),
                "fish: {v:?}"
            );
            assert_eq!(
                pwsh_unquote(&pwsh_quote(v)).as_deref(),
                Some(*v),
                "pwsh: {v:?}"
            );
        }
    }
}
