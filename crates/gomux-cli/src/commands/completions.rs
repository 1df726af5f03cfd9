//! `gomux completions SHELL`: print a completion script; and the hidden
//! `gomux __complete-toolchains` that the bash, zsh and fish scripts call for toolchain names.
//!
//! The generated script completes commands and options from the clap definition; toolchain
//! names exist only on the machine, so the script asks `gomux __complete-toolchains` at the
//! moment of completion (a directory listing, no network, no settings). Each shell's script is
//! the generated one plus a small, fixed addition: bash wraps the generated function, zsh's
//! toolchain arguments call a function that lists the names, fish gets `complete` lines.

use std::process::ExitCode;

use clap_complete::Shell;

use crate::context::Context;

#[derive(clap::Args)]
pub struct Args {
    /// bash, zsh, fish, powershell or elvish
    shell: Shell,
}

/// The arguments of `gomux __complete-toolchains` (none that users need).
#[derive(clap::Args)]
pub struct ToolchainsArgs {}

/// The commands whose arguments (before any `--`) are toolchain names.
const TOOLCHAIN_COMMANDS: &[&str] = &["default", "pin", "run", "uninstall", "rm"];

/// The clap argument ids of those toolchain arguments, as zsh's script names them.
const TOOLCHAIN_ARGS: &[&str] = &["toolchain", "names"];

pub fn run(_ctx: &Context, args: Args, mut cmd: clap::Command) -> anyhow::Result<ExitCode> {
    // The generator panics on a failed write with a message of its own; into memory it cannot
    // fail, and `print!` then goes the way every command's output goes (a closed stdout is a
    // quiet exit, see `render`).
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "gomux", &mut script);
    let script = String::from_utf8_lossy(&script);
    print!("{}", with_toolchains(args.shell, &script));
    Ok(ExitCode::SUCCESS)
}

/// `gomux __complete-toolchains`: every installed or linked toolchain's name, one a line, and
/// for releases also the version (`1.22.3`) and the minor release (`1.22`), which is what
/// users type. Nothing at all when the home cannot be read: completion never prints errors.
pub fn run_toolchains(ctx: &Context, _args: ToolchainsArgs) -> anyhow::Result<ExitCode> {
    let mut words = std::collections::BTreeSet::new();
    for name in ctx.home.toolchain_names() {
        if !gomux_version::is_safe_name(&name) {
            continue;
        }
        if let Some(v) = gomux_version::from_toolchain(&name)
            && format!("go{v}") == name
        {
            words.insert(v.to_string());
            let lang = gomux_version::lang(v);
            if gomux_version::family_member(&lang, &name) {
                words.insert(lang);
            }
        }
        words.insert(name);
    }
    let mut out = String::new();
    for w in words {
        out.push_str(&w);
        out.push('\n');
    }
    print!("{out}");
    Ok(ExitCode::SUCCESS)
}

/// The generated script with toolchain-name completion added for `shell`.
fn with_toolchains(shell: Shell, script: &str) -> String {
    match shell {
        Shell::Bash => format!("{script}{}", bash_addition()),
        Shell::Zsh => zsh(script),
        Shell::Fish => format!("{script}{}", fish_addition()),
        _ => script.to_string(),
    }
}

fn bash_addition() -> String {
    let commands = TOOLCHAIN_COMMANDS.join("|");
    format!(
        r#"
# gomux: toolchain names for {names}, from `gomux __complete-toolchains`.
_gomux_toolchains() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="" sub="" npos=0 i w
    (( COMP_CWORD > 0 )) && prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    for (( i = 1; i < COMP_CWORD; i++ )); do
        w="${{COMP_WORDS[i]}}"
        if [[ "$w" == "--" ]]; then
            # After `--` comes `gomux run`'s command: not a toolchain.
            sub=""
            break
        fi
        if [[ "$w" != -* ]]; then
            if [[ -z "$sub" ]]; then sub="$w"; else npos=$(( npos + 1 )); fi
        fi
    done
    if [[ "$cur" != -* ]]; then
        case "$sub" in
            {commands})
                local names
                names="$("${{COMP_WORDS[0]}}" __complete-toolchains 2>/dev/null)"
                if [[ "$sub" == run && "$prev" == --each ]]; then
                    # A comma-separated list: complete its last entry.
                    local head="" last="$cur"
                    if [[ "$cur" == *,* ]]; then
                        head="${{cur%,*}},"
                        last="${{cur##*,}}"
                    fi
                    COMPREPLY=( $(compgen -P "$head" -W "$names stable" -- "$last") )
                    compopt -o nospace 2>/dev/null
                    return 0
                fi
                if [[ "$sub" == uninstall || "$sub" == rm || "$npos" -eq 0 ]]; then
                    COMPREPLY=( $(compgen -W "$names" -- "$cur") )
                    (( ${{#COMPREPLY[@]}} > 0 )) && return 0
                fi
                ;;
        esac
    fi
    _gomux "$@"
}}

if [[ "${{BASH_VERSINFO[0]}}" -eq 4 && "${{BASH_VERSINFO[1]}}" -ge 4 || "${{BASH_VERSINFO[0]}}" -gt 4 ]]; then
    complete -F _gomux_toolchains -o nosort -o bashdefault -o default gomux
else
    complete -F _gomux_toolchains -o bashdefault -o default gomux
fi
"#,
        names = TOOLCHAIN_COMMANDS.join(", ")
    )
}

/// zsh: the toolchain arguments complete with `_gomux_toolchains` instead of `_default`.
fn zsh(script: &str) -> String {
    let function = r#"
# gomux: toolchain names, from `gomux __complete-toolchains`.
(( $+functions[_gomux_toolchains] )) ||
_gomux_toolchains() {
    local -a names
    names=(${(f)"$(gomux __complete-toolchains 2>/dev/null)"})
    compadd -a names
}
"#;
    let mut out = String::with_capacity(script.len() + function.len());
    let mut added = false;
    for line in script.split_inclusive('\n') {
        let spec = line.trim_start_matches('\'').trim_start_matches('*');
        let spec = spec.trim_start_matches(':');
        let is_toolchain = TOOLCHAIN_ARGS
            .iter()
            .any(|id| spec.starts_with(&format!("{id} -- ")));
        match line.rfind(":_default'") {
            Some(at) if is_toolchain && line.starts_with('\'') => {
                out.push_str(&line[..at]);
                out.push_str(":_gomux_toolchains'");
                out.push_str(&line[at + ":_default'".len()..]);
            }
            _ => out.push_str(line),
        }
        if !added && line.starts_with("#compdef") {
            out.push_str(function);
            added = true;
        }
    }
    if !added {
        out.insert_str(0, function);
    }
    out
}

fn fish_addition() -> String {
    format!(
        "\n# gomux: toolchain names, from `gomux __complete-toolchains`.\ncomplete -c gomux -n \"__fish_seen_subcommand_from {}\" -f -a \"(gomux __complete-toolchains 2>/dev/null)\"\n",
        TOOLCHAIN_COMMANDS.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory as _;

    fn script(shell: Shell) -> String {
        let mut cmd = crate::Cli::command();
        let mut bytes = Vec::new();
        clap_complete::generate(shell, &mut cmd, "gomux", &mut bytes);
        with_toolchains(shell, &String::from_utf8_lossy(&bytes))
    }

    #[test]
    fn zsh_completes_toolchain_names_for_each_toolchain_command() {
        let s = script(Shell::Zsh);
        assert!(s.contains("_gomux_toolchains() {"), "{s}");
        // The toolchain argument of every command that takes one (`rm` and `cache base` too).
        for arg in [
            "'::toolchain -- The new default",
            "':toolchain -- The version to pin",
            "'::toolchain -- The toolchain\\:",
            "'*::names -- Toolchains to remove",
        ] {
            let line = s.lines().find(|l| l.starts_with(arg)).unwrap_or_default();
            assert!(
                line.ends_with(":_gomux_toolchains' \\"),
                "{arg}: {line}\n{s}"
            );
        }
    }

    #[test]
    fn fish_and_bash_call_the_hidden_command() {
        for shell in [Shell::Bash, Shell::Fish] {
            let s = script(shell);
            assert!(s.contains("__complete-toolchains"), "{shell}: {s}");
        }
    }
}
