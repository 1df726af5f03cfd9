//! Shrinking a disagreeing case: drop one piece at a time (an argument, a variable, a fake, a
//! link, a file, a line) and keep the smaller case while the two sides still give the same two
//! answers, until nothing more can go.
//!
//! "The same two answers", not "still some disagreement": a case that disagrees for another
//! reason after a cut would be a different bug, and shrinking must not wander from one to the
//! other.

use super::cases::{Case, File};

/// Every case one step smaller than `case`, the biggest cuts first.
pub fn candidates(case: &Case) -> Vec<Case> {
    let mut out = Vec::new();
    // Whole files and links first: they take most lines with them.
    for i in 0..case.files.len() {
        let mut c = case.clone();
        c.files.remove(i);
        out.push(c);
    }
    for i in 0..case.links.len() {
        // A link the working folder goes through stays.
        let (link, _) = &case.links[i];
        if case.cwd == *link || case.cwd.starts_with(&format!("{link}/")) {
            continue;
        }
        let mut c = case.clone();
        c.links.remove(i);
        out.push(c);
    }
    for i in 0..case.dirs.len() {
        let mut c = case.clone();
        c.dirs.remove(i);
        out.push(c);
    }
    for i in 0..case.env.len() {
        let mut c = case.clone();
        c.env.remove(i);
        out.push(c);
    }
    for i in 0..case.fakes.len() {
        let mut c = case.clone();
        c.fakes.remove(i);
        out.push(c);
    }
    // Arguments: a pair first (`-C dir`), then one.
    for i in 0..case.args.len().saturating_sub(1) {
        let mut c = case.clone();
        c.args.drain(i..i + 2);
        out.push(c);
    }
    for i in 0..case.args.len() {
        let mut c = case.clone();
        c.args.remove(i);
        out.push(c);
    }
    // Lines of files (a line keeps its own ending).
    for (fi, f) in case.files.iter().enumerate() {
        let lines: Vec<&str> = f.text.split_inclusive('\n').collect();
        if lines.len() < 2 {
            continue;
        }
        for li in 0..lines.len() {
            let text: String = lines
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != li)
                .map(|(_, l)| *l)
                .collect();
            let mut c = case.clone();
            c.files[fi] = File {
                path: f.path.clone(),
                text,
            };
            out.push(c);
        }
    }
    // A shallower working folder.
    if let Some((parent, _)) = case.cwd.rsplit_once('/')
        && !case
            .links
            .iter()
            .any(|(l, _)| case.cwd.starts_with(l.as_str()))
    {
        let mut c = case.clone();
        c.cwd = parent.to_string();
        out.push(c);
    }
    out
}

/// Shrinks `case` with `same` (true when a candidate still gives the same two answers),
/// trying at most `budget` candidates.
pub fn shrink(case: &Case, budget: usize, mut same: impl FnMut(&Case) -> bool) -> Case {
    let mut best = case.clone();
    let mut tries = 0;
    // Passes over the candidates; after a cut the next pass resumes where this one was (the
    // cuts before it failed a moment ago and most still fail), until a pass cuts nothing.
    let mut at = 0;
    let mut cut_in_pass = false;
    loop {
        let list = candidates(&best);
        if at >= list.len() {
            if !cut_in_pass {
                break;
            }
            at = 0;
            cut_in_pass = false;
            continue;
        }
        if tries >= budget {
            break;
        }
        tries += 1;
        if same(&list[at]) {
            best = list[at].clone();
            cut_in_pass = true;
        } else {
            at += 1;
        }
    }
    best
}
