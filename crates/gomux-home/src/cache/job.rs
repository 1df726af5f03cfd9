//! The CI job id behind cache policy `job`.

use std::ffi::OsString;

use super::safe_folder_name;
use crate::env;

/// The CI job id for policy `job`, as a folder name, and the variable it came from.
///
/// `GOMUX_JOB_ID` comes first (so a matrix job can name itself), then GitLab `CI_JOB_ID`,
/// GitHub `GITHUB_RUN_ID` + `-` + `GITHUB_RUN_ATTEMPT`, Buildkite `BUILDKITE_JOB_ID`, Jenkins
/// `BUILD_TAG`.
pub fn job_id(get: &dyn Fn(&str) -> Option<OsString>) -> Option<(String, &'static str)> {
    let val = |k: &str| {
        get(k)
            .filter(|v| !v.is_empty())
            .map(|v| v.to_string_lossy().into_owned())
    };
    for var in [
        env::GOMUX_JOB_ID,
        "CI_JOB_ID",
        "GITHUB_RUN_ID",
        "BUILDKITE_JOB_ID",
        "BUILD_TAG",
    ] {
        let Some(mut id) = val(var) else { continue };
        if var == "GITHUB_RUN_ID" {
            id = format!(
                "{id}-{}",
                val("GITHUB_RUN_ATTEMPT").unwrap_or_else(|| "1".into())
            );
        }
        if let Some(name) = safe_folder_name(&id) {
            return Some((name, var));
        }
    }
    None
}
