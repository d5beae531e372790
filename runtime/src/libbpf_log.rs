//! libbpf's log: captured instead of printed, so a failure shows one clear message with the
//! tail of the verifier log, and `--verbose` shows everything. libbpf's print hook is a plain
//! function pointer, so the capture lives in a process-wide buffer.
//!
//! [`verifier_failure`] (log lines → failing program + log tail) is pure.

use std::collections::VecDeque;
use std::sync::Mutex;

use libbpf_rs::PrintLevel;

/// Lines kept when not verbose: enough for the end of any verifier log.
const KEEP: usize = 400;

struct Capture {
    verbose: bool,
    /// The most recent lines (all levels).
    recent: VecDeque<String>,
    /// Lines not yet shown (verbose mode only).
    pending: Vec<String>,
}

static CAPTURE: Mutex<Capture> = Mutex::new(Capture {
    verbose: false,
    recent: VecDeque::new(),
    pending: Vec::new(),
});

#[expect(
    clippy::needless_pass_by_value,
    reason = "libbpf-rs fixes the callback's signature"
)]
fn on_message(_level: PrintLevel, msg: String) {
    let Ok(mut c) = CAPTURE.lock() else { return };
    for line in msg.lines() {
        if c.verbose {
            c.pending.push(line.to_owned());
        }
        if c.recent.len() == KEEP {
            c.recent.pop_front();
        }
        c.recent.push_back(line.to_owned());
    }
}

/// Routes libbpf's log into the capture: every level when `verbose`, else warnings and info
/// (which carry the verifier log on failure).
pub fn install(verbose: bool) {
    if let Ok(mut c) = CAPTURE.lock() {
        // `recent` is kept: runs in one process (tests) may overlap, and failures are found
        // by their last occurrence anyway.
        c.verbose = verbose;
        c.pending.clear();
    }
    let level = if verbose {
        PrintLevel::Debug
    } else {
        PrintLevel::Info
    };
    libbpf_rs::set_print(Some((level, on_message)));
}

/// Lines captured since the last call, for `--verbose` (empty otherwise).
#[must_use]
pub fn take_pending() -> Vec<String> {
    CAPTURE
        .lock()
        .map(|mut c| std::mem::take(&mut c.pending))
        .unwrap_or_default()
}

/// The most recent captured lines, oldest first.
#[must_use]
pub fn recent() -> Vec<String> {
    CAPTURE
        .lock()
        .map(|c| c.recent.iter().cloned().collect())
        .unwrap_or_default()
}

/// A program the kernel refused, found in libbpf's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifierFailure {
    /// The program (C function) name.
    pub program: String,
    /// The last lines of its verifier log.
    pub tail: Vec<String>,
}

/// Finds the program whose load failed last (`prog 'NAME': failed to load` or `... load
/// failed`) and the last `tail` lines of the verifier log block printed before that line.
#[must_use]
pub fn verifier_failure(lines: &[String], tail: usize) -> Option<VerifierFailure> {
    let is_failure = |l: &String| {
        l.contains("prog '") && (l.contains("load failed") || l.contains("failed to load"))
    };
    let at = lines.iter().rposition(is_failure)?;
    let line = &lines[at];
    let start = line.find("prog '")? + 6;
    let program = line[start..].split('\'').next()?.to_owned();
    let begin = lines[..at]
        .iter()
        .rposition(|l| l.contains("-- BEGIN PROG LOAD LOG --"));
    let log: Vec<String> = begin
        .map(|b| {
            lines[b + 1..at]
                .iter()
                .take_while(|l| !l.contains("-- END PROG LOAD LOG --"))
                .filter(|l| !l.trim().is_empty())
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let skip = log.len().saturating_sub(tail);
    Some(VerifierFailure {
        program,
        tail: log[skip..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_program_and_log_tail() {
        let mut lines: Vec<String> = vec![
            "libbpf: prog 'on_open': BPF program load failed: Permission denied".into(),
            "libbpf: prog 'on_open': -- BEGIN PROG LOAD LOG --".into(),
        ];
        lines.extend((0..30).map(|i| format!("{i}: (85) call bpf_probe_read#4")));
        lines.push("R1 invalid mem access 'scalar'".into());
        lines.push("-- END PROG LOAD LOG --".into());
        lines.push("libbpf: prog 'on_open': failed to load: -13".into());
        let f = verifier_failure(&lines, 20).unwrap();
        assert_eq!(f.program, "on_open");
        assert_eq!(f.tail.len(), 20);
        assert_eq!(f.tail.last().unwrap(), "R1 invalid mem access 'scalar'");
        assert!(verifier_failure(&["libbpf: loaded".to_owned()], 20).is_none());
    }
}
