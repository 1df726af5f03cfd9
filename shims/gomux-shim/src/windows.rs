//! Running the SDK on Windows: spawn, wait, and pass on the child's exit code.
//!
//! Windows has no `exec`, so the proxy stays alive as the SDK's parent, as Go itself does when
//! it switches toolchains. Three things make that invisible to the caller:
//!
//! - **The exact exit code.** A Windows exit code is 32 bits: `256`, `0xC000013A` (the child
//!   stopped by Ctrl-C) or `0xC0000005` (a crash) are passed on as they are, never clamped to
//!   a byte ([`main`](crate) exits with the `u32` this module returns).
//! - **Ctrl-C belongs to the child.** Every process on the console gets the Ctrl-C event. The
//!   proxy's handler says "handled" and waits, so the child decides what Ctrl-C means and its
//!   exit code is what the caller sees. A handler routine (rather than ignoring the event
//!   outright) is not inherited, so the child still gets Windows' default handling.
//! - **Killing the proxy kills the tree.** The proxy puts itself in a job object that kills
//!   its members when its last handle closes; the child (and whatever it starts) inherits the
//!   job. When the child has exited normally the kill flag is cleared before the proxy
//!   exits, so a process the SDK left running on purpose is not taken down with it.
//!
//! Raw `kernel32` calls, five of them: no crate on the proxy's path for this.

use std::ffi::{OsStr, OsString, c_void};
use std::path::Path;
use std::process::Command;

type Handle = *mut c_void;
type Bool = i32;

/// `JobObjectExtendedLimitInformation`.
const JOB_OBJECT_EXTENDED_LIMIT_INFORMATION: i32 = 9;
/// `JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE`.
const JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE: u32 = 0x2000;
/// `CTRL_C_EVENT` and `CTRL_BREAK_EVENT`.
const CTRL_C_EVENT: u32 = 0;
const CTRL_BREAK_EVENT: u32 = 1;

#[repr(C)]
#[derive(Default)]
struct BasicLimitInformation {
    per_process_user_time_limit: i64,
    per_job_user_time_limit: i64,
    limit_flags: u32,
    minimum_working_set_size: usize,
    maximum_working_set_size: usize,
    active_process_limit: u32,
    affinity: usize,
    priority_class: u32,
    scheduling_class: u32,
}

#[repr(C)]
#[derive(Default)]
struct IoCounters {
    read_operation_count: u64,
    write_operation_count: u64,
    other_operation_count: u64,
    read_transfer_count: u64,
    write_transfer_count: u64,
    other_transfer_count: u64,
}

/// `JOBOBJECT_EXTENDED_LIMIT_INFORMATION`.
#[repr(C)]
#[derive(Default)]
struct ExtendedLimitInformation {
    basic: BasicLimitInformation,
    io: IoCounters,
    process_memory_limit: usize,
    job_memory_limit: usize,
    peak_process_memory_used: usize,
    peak_job_memory_used: usize,
}

#[link(name = "kernel32")]
unsafe extern "system" {
    fn CreateJobObjectW(attributes: *const c_void, name: *const u16) -> Handle;
    fn SetInformationJobObject(job: Handle, class: i32, info: *const c_void, len: u32) -> Bool;
    fn AssignProcessToJobObject(job: Handle, process: Handle) -> Bool;
    fn GetCurrentProcess() -> Handle;
    fn SetConsoleCtrlHandler(
        handler: Option<unsafe extern "system" fn(u32) -> Bool>,
        add: Bool,
    ) -> Bool;
}

/// Ctrl-C and Ctrl-Break are the child's to handle: the proxy only waits for its exit code.
/// Any other event (the console closing, logoff, shutdown) takes the default path.
unsafe extern "system" fn on_console_event(event: u32) -> Bool {
    Bool::from(event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT)
}

/// The proxy's job object, kill-on-close; `None` when Windows refused one (the proxy then runs
/// the child as before, without the guarantee).
struct Job(Handle);

impl Job {
    fn enter() -> Option<Job> {
        // SAFETY: plain calls with valid arguments; the handle is checked before use and kept
        // open for the life of the process (closing it is what kills the tree).
        unsafe {
            let job = CreateJobObjectW(std::ptr::null(), std::ptr::null());
            if job.is_null() {
                return None;
            }
            let job = Job(job);
            if !job.set_kill_on_close(true)
                || AssignProcessToJobObject(job.0, GetCurrentProcess()) == 0
            {
                return None;
            }
            Some(job)
        }
    }

    fn set_kill_on_close(&self, on: bool) -> bool {
        let mut info = ExtendedLimitInformation::default();
        if on {
            info.basic.limit_flags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
        }
        // SAFETY: `info` is a valid JOBOBJECT_EXTENDED_LIMIT_INFORMATION of the size given.
        unsafe {
            SetInformationJobObject(
                self.0,
                JOB_OBJECT_EXTENDED_LIMIT_INFORMATION,
                (&raw const info).cast(),
                size_of::<ExtendedLimitInformation>() as u32,
            ) != 0
        }
    }
}

/// Runs `exe` with `args` and the environment changed by `changes`, waits, and returns the
/// child's exit code, all 32 bits of it. `Err` only when the child could not be started.
pub fn run(
    exe: &Path,
    args: &[OsString],
    changes: &[(&str, Option<OsString>)],
) -> std::io::Result<u32> {
    let mut cmd = Command::new(exe);
    cmd.args(args);
    for (key, value) in changes {
        match value {
            Some(v) => cmd.env(key, v),
            None => cmd.env_remove(OsStr::new(key)),
        };
    }
    // SAFETY: registers a handler function that lives for the whole program.
    unsafe {
        SetConsoleCtrlHandler(Some(on_console_event), 1);
    }
    let job = Job::enter();
    let status = cmd.status()?;
    if let Some(job) = &job {
        job.set_kill_on_close(false);
    }
    // `code()` is always `Some` on Windows: the full exit code as an `i32`.
    Ok(status.code().map_or(1, |c| c as u32))
}
