//! Out-of-process plugin probing: before discovery loads a candidate into the host process, a
//! small executable, `wasinn-plugin-probe`, opens it in a child process (library constructors),
//! calls its entry point (the plugin's initialisation, which finds and initialises its vendor
//! library) and validates the table exactly as the host does (the same code,
//! [`super::discovery`]). A candidate whose probe dies by a signal, exits abnormally or does not
//! answer within the timeout is rejected with that reason ("probe: killed by SIGSEGV while
//! running its entry point (init)"), and is never loaded in-process; a candidate the probe
//! rejects cleanly gets the probe's reason (the one an in-process load would give). Only a
//! candidate whose probe passed is then loaded in-process, when a load first selects it.
//!
//! - Children are started with `std::process::Command` (`posix_spawn` or fork+exec at once, never
//!   a bare `fork` of a multi-threaded host), all candidates of a discovery at once (in parallel);
//!   a child still running at the deadline is killed (`SIGKILL`). They stay in the host's process
//!   group (a group of their own would be stopped by `SIGTTOU` writing to a terminal set to
//!   `tostop`, and time out), so processes a hanging plugin started itself are not killed with it;
//!   the answer is read without blocking, so they cannot hold discovery up either. The probe also
//!   arms `alarm()` for the timeout plus a second, so a probe whose host died cannot hang forever.
//! - The probe writes its protocol on a duplicate of its stdout and points its own stdout at
//!   stderr before loading anything, so whatever a plugin prints cannot be mistaken for an
//!   answer or fill the pipe; stderr is inherited (plugin messages show where the host's go).
//! - Policy ([`PROBE_ENV`], or [`set_probe`], which takes precedence):
//!   unset or `auto` (the default): probe when the executable is found (see [`find_probe`]),
//!   else load in-process as without a probe, saying so in the log (a warning, once);
//!   `1`: probing is required: with no probe executable every candidate is rejected, saying why;
//!   an absolute path: that executable, required; `0`: never probe.
//!   [`PROBE_TIMEOUT_ENV`]: the timeout in milliseconds (default [`DEFAULT_TIMEOUT`]).
//! - Protocol (stdout of the probe): `stage open`, `stage entry` as it reaches each step, then
//!   either what the validated table says (`name <name>`, `version <text>`, `encodings <codes>`,
//!   `targets <codes>`, codes in the C API's numbering, space-separated) followed by `ok` (exit 0),
//!   or `reject <reason>` (exit [`EXIT_REJECT`]). The host lists a passed candidate from those
//!   lines and opens it in-process only on the first load that selects it (`super::lazy`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Environment variable choosing the probe policy: `0`, `1`, `auto` or an absolute path.
pub const PROBE_ENV: &str = "WASINN_PLUGIN_PROBE";
/// Environment variable with the probe timeout in milliseconds.
pub const PROBE_TIMEOUT_ENV: &str = "WASINN_PLUGIN_PROBE_TIMEOUT_MS";
/// The probe executable's file name.
pub const PROBE_EXE: &str = "wasinn-plugin-probe";
/// Default time a probe may take (ONNX Runtime or OpenVINO initialising on a loaded machine take
/// well under a second; a hanging plugin costs this once, all probes running in parallel).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(20);
/// Exit status of a probe that rejected the plugin cleanly (the reason on its stdout).
pub const EXIT_REJECT: i32 = 3;

/// Whether and how candidates are probed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeMode {
    /// Never probe: load in-process (a crashing plugin takes the process down).
    Off,
    /// Probe with the executable found beside libwasinn; without one, load in-process.
    Auto,
    /// Probe with the executable found beside libwasinn; without one, reject every candidate.
    Required,
    /// Probe with this executable (required).
    Exe(PathBuf),
}

impl ProbeMode {
    /// Parses a [`PROBE_ENV`] value; `None` for an unknown one.
    pub fn parse(value: &str) -> Option<ProbeMode> {
        match value {
            "" | "auto" => Some(ProbeMode::Auto),
            "0" => Some(ProbeMode::Off),
            "1" => Some(ProbeMode::Required),
            v if v.starts_with('/') => Some(ProbeMode::Exe(PathBuf::from(v))),
            _ => None,
        }
    }
}

/// The probe configuration of a discovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProbeConfig {
    /// Whether and how to probe.
    pub mode: ProbeMode,
    /// How long a probe may run before it is killed and its candidate rejected.
    pub timeout: Duration,
}

static OVERRIDE: Mutex<Option<ProbeConfig>> = Mutex::new(None);

/// Sets the probe configuration for every later discovery (`add_path`, and the first use's
/// discovery from the environment if it has not run yet), taking precedence over the environment.
pub fn set_probe(config: ProbeConfig) {
    *OVERRIDE.lock() = Some(config);
}

/// The configuration in force: [`set_probe`]'s, else the environment's (an unknown
/// [`PROBE_ENV`] value is logged and taken as the default, `auto`).
pub fn config() -> ProbeConfig {
    if let Some(c) = OVERRIDE.lock().clone() {
        return c;
    }
    let mode = match std::env::var(PROBE_ENV) {
        Err(_) => ProbeMode::Auto,
        Ok(v) => ProbeMode::parse(&v).unwrap_or_else(|| {
            crate::wasinn_log!(Warn, "plugins: {PROBE_ENV}={v:?} is not 0, 1, auto or an absolute path: using auto");
            ProbeMode::Auto
        }),
    };
    let timeout = std::env::var(PROBE_TIMEOUT_ENV)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&ms| ms > 0)
        .map(Duration::from_millis)
        .unwrap_or(DEFAULT_TIMEOUT);
    ProbeConfig { mode, timeout }
}

/// Where the probe executable is looked for, beside `libwasinn.so` in `lib_dir`: the directory
/// itself (a cargo target directory), then `../libexec/wasinn/` (an installed prefix, see
/// scripts/install.sh). The first that exists.
pub fn find_probe(lib_dir: Option<&Path>) -> Option<PathBuf> {
    let dir = lib_dir?;
    [dir.join(PROBE_EXE), dir.join("../libexec/wasinn").join(PROBE_EXE)].into_iter().find(|p| p.is_file())
}

/// What a probe found for one candidate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not probed (probing off, or no executable in `auto` mode): load in-process.
    NotProbed,
    /// The probe loaded and validated it; with what its table says (listed from that, opened
    /// in-process on the first load that selects it), or `None` when the answer did not carry a
    /// valid description (opened in-process at once).
    Passed(Option<super::discovery::Described>),
    /// Reject with this reason, without loading it in-process.
    Rejected(String),
}

/// Probes `files` in parallel under `config`; one verdict per file, in order.
pub fn probe_all(files: &[PathBuf], config: &ProbeConfig, lib_dir: Option<&Path>) -> Vec<Verdict> {
    if files.is_empty() {
        return Vec::new();
    }
    let exe = match &config.mode {
        ProbeMode::Off => return vec![Verdict::NotProbed; files.len()],
        ProbeMode::Exe(p) => Some(p.clone()).filter(|p| p.is_file()),
        ProbeMode::Auto | ProbeMode::Required => find_probe(lib_dir),
    };
    let Some(exe) = exe else {
        if config.mode == ProbeMode::Auto {
            warn_once_unprobed(lib_dir);
            return vec![Verdict::NotProbed; files.len()];
        }
        let wanted = match &config.mode {
            ProbeMode::Exe(p) => p.display().to_string(),
            _ => format!("{PROBE_EXE} beside libwasinn ({})", lib_dir.map_or("not loaded as libwasinn.so".into(), |d| d.display().to_string())),
        };
        let reason = format!("probe: required ({PROBE_ENV}) but no probe executable: {wanted} not found");
        return vec![Verdict::Rejected(reason); files.len()];
    };
    let started = Instant::now();
    let deadline = started + config.timeout;
    let mut children: Vec<Option<Result<Child, String>>> = files.iter().map(|f| Some(spawn(&exe, f, config.timeout))).collect();
    let mut verdicts: Vec<Option<Verdict>> = vec![None; files.len()];
    loop {
        let mut pending = false;
        for (i, slot) in children.iter_mut().enumerate() {
            let Some(child) = slot else { continue };
            let child = match child {
                Err(e) => {
                    verdicts[i] = Some(spawn_failed(config, &exe, e));
                    *slot = None;
                    continue;
                }
                Ok(c) => c,
            };
            match child.try_wait() {
                Ok(Some(status)) => {
                    verdicts[i] = Some(judge(status, &read_answer(child)));
                    *slot = None;
                }
                Ok(None) if Instant::now() >= deadline => {
                    kill_probe(child);
                    let answer = read_answer(child);
                    verdicts[i] = Some(judge_timeout(config.timeout, &answer));
                    *slot = None;
                }
                Ok(None) => pending = true,
                Err(e) => {
                    kill_probe(child);
                    verdicts[i] = Some(Verdict::Rejected(format!("probe: cannot wait for the probe: {e}")));
                    *slot = None;
                }
            }
        }
        if !pending {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    crate::wasinn_log!(
        Debug,
        "plugins: probed {} candidate(s) in parallel with {} in {} ms",
        files.len(),
        exe.display(),
        started.elapsed().as_millis()
    );
    verdicts.into_iter().map(|v| v.unwrap_or(Verdict::NotProbed)).collect()
}

fn warn_once_unprobed(lib_dir: Option<&Path>) {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        let where_ = match lib_dir {
            Some(d) => format!("no {PROBE_EXE} in {} or its ../libexec/wasinn", d.display()),
            None => "libwasinn is not loaded as libwasinn.so (a static link?)".to_string(),
        };
        crate::wasinn_log!(
            Warn,
            "plugins: candidates are loaded in-process without an out-of-process probe ({where_}; set \
             {PROBE_ENV} to the probe's path): a plugin that crashes at load takes this process down"
        );
    });
}

fn spawn(exe: &Path, file: &Path, timeout: Duration) -> Result<Child, String> {
    Command::new(exe)
        .arg(file)
        .arg(timeout.as_secs().saturating_add(1).to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| e.to_string())
}

fn spawn_failed(config: &ProbeConfig, exe: &Path, e: &str) -> Verdict {
    if config.mode == ProbeMode::Auto {
        crate::wasinn_log!(Warn, "plugins: cannot start the probe {}: {e}: loading in-process", exe.display());
        Verdict::NotProbed
    } else {
        Verdict::Rejected(format!("probe: cannot start {}: {e}", exe.display()))
    }
}

/// Kills the probe, then reaps it.
fn kill_probe(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Most bytes of a probe answer read.
const MAX_ANSWER: usize = 8192;

/// What the (exited) probe wrote. Non-blocking: a grandchild holding the pipe open cannot make
/// this wait.
fn read_answer(child: &mut Child) -> String {
    let Some(mut out) = child.stdout.take() else { return String::new() };
    use std::os::fd::AsRawFd;
    // SAFETY: fcntl on a pipe fd we own.
    unsafe {
        let fd = out.as_raw_fd();
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while buf.len() < MAX_ANSWER {
        match out.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// The step the probe had reached, from its `stage` lines.
fn stage(answer: &str) -> &'static str {
    match answer.lines().filter_map(|l| l.strip_prefix("stage ")).last() {
        Some("open") => "opening the library (its constructors)",
        Some("entry") => "running its entry point (init)",
        _ => "starting",
    }
}

fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGSYS => "SIGSYS",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}

fn judge(status: ExitStatus, answer: &str) -> Verdict {
    use std::os::unix::process::ExitStatusExt;
    if let Some(sig) = status.signal() {
        return Verdict::Rejected(format!("probe: killed by {} while {}", signal_name(sig), stage(answer)));
    }
    let last = answer.lines().last().unwrap_or("");
    match status.code() {
        Some(0) if last == "ok" => Verdict::Passed(super::discovery::Described::from_lines(answer)),
        Some(EXIT_REJECT) if last.starts_with("reject ") => Verdict::Rejected(last["reject ".len()..].to_string()),
        Some(code) => Verdict::Rejected(format!("probe: exited with status {code} while {}", stage(answer))),
        None => Verdict::Rejected("probe: ended with no status".into()),
    }
}

fn judge_timeout(timeout: Duration, answer: &str) -> Verdict {
    Verdict::Rejected(format!("probe: no answer within {} ms while {}: killed", timeout.as_millis(), stage(answer)))
}

/// The probe executable's `main`: `wasinn-plugin-probe <plugin file> <alarm seconds>`. Returns
/// its exit status (see the module docs for the protocol).
#[doc(hidden)]
pub fn probe_main() -> i32 {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args.len() < 2 {
        eprintln!("usage: {PROBE_EXE} <plugin.so> [alarm seconds]  (run by libwasinn's plugin discovery)");
        return 2;
    }
    // SAFETY: plain fd syscalls at startup, before any other thread exists.
    let proto_fd = unsafe {
        let fd = libc::dup(1);
        if fd < 0 || libc::dup2(2, 1) < 0 {
            return 2;
        }
        fd
    };
    use std::os::fd::FromRawFd;
    // SAFETY: `proto_fd` is a fresh descriptor owned by nothing else.
    let mut proto = unsafe { std::fs::File::from_raw_fd(proto_fd) };
    if let Some(secs) = args.get(2).and_then(|a| a.to_str()).and_then(|a| a.parse::<u32>().ok()) {
        // SAFETY: plain syscall.
        unsafe { libc::alarm(secs) };
    }
    let path = Path::new(&args[1]);
    let mut say = |line: &str| {
        let _ = proto.write_all(line.as_bytes());
        let _ = proto.write_all(b"\n");
        let _ = proto.flush();
    };
    say("stage open");
    let result = super::discovery::open_library(path).and_then(|entry| {
        say("stage entry");
        super::discovery::negotiate(path, entry)
    });
    match result {
        Ok(p) => {
            for line in p.described().to_lines() {
                say(&line);
            }
            say("ok");
            0
        }
        Err(reason) => {
            say(&format!("reject {}", reason.replace(['\n', '\r'], " ")));
            EXIT_REJECT
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values() {
        assert_eq!(ProbeMode::parse(""), Some(ProbeMode::Auto));
        assert_eq!(ProbeMode::parse("auto"), Some(ProbeMode::Auto));
        assert_eq!(ProbeMode::parse("0"), Some(ProbeMode::Off));
        assert_eq!(ProbeMode::parse("1"), Some(ProbeMode::Required));
        assert_eq!(ProbeMode::parse("/x/probe"), Some(ProbeMode::Exe("/x/probe".into())));
        assert_eq!(ProbeMode::parse("yes"), None);
        assert_eq!(ProbeMode::parse("rel/path"), None);
    }

    #[test]
    fn verdicts_from_answers() {
        assert_eq!(stage("stage open\nstage entry\n"), "running its entry point (init)");
        assert_eq!(stage("stage open\n"), "opening the library (its constructors)");
        assert_eq!(stage(""), "starting");
        assert_eq!(signal_name(libc::SIGSEGV), "SIGSEGV");
        assert_eq!(signal_name(64), "signal 64");
    }
}
