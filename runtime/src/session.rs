//! One run of a built tool: parsed [`Options`] + manifest + object → load, attach, print events
//! and `trace_pipe` lines as they come, print tables and histograms at each interval and at the
//! end, detach. Stops on Ctrl-C, SIGTERM, the end of `-d`, or a closed stdout.

use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bccc_manifest::Manifest;
use signal_hook::SigId;
use signal_hook::consts::{SIGINT, SIGTERM};

use crate::attach;
use crate::cli::Options;
use crate::error::RunError;
use crate::events::{Streams, TracePipe};
use crate::libbpf_log;
use crate::load;
use crate::maps;
use crate::signature;
use crate::sys;
use crate::view::ViewOptions;

/// The line benchmarks and users wait for; printed to stderr once everything is attached.
pub const READY: &str = "Tracing... Hit Ctrl-C to end.";

/// Longest wait between checks of the stop flag and the clock.
const TICK: Duration = Duration::from_millis(100);

/// Ctrl-C / SIGTERM set a flag; the handlers are removed when this is dropped.
struct StopSignals {
    flag: Arc<AtomicBool>,
    ids: Vec<SigId>,
}

impl StopSignals {
    fn install() -> Result<StopSignals, RunError> {
        let flag = Arc::new(AtomicBool::new(false));
        let mut ids = Vec::new();
        for sig in [SIGINT, SIGTERM] {
            ids.push(
                signal_hook::flag::register(sig, flag.clone())
                    .map_err(|e| RunError::Signals(e.to_string()))?,
            );
        }
        Ok(StopSignals { flag, ids })
    }

    fn raised(&self) -> bool {
        self.flag.load(Ordering::Relaxed)
    }
}

impl Drop for StopSignals {
    fn drop(&mut self) {
        for id in self.ids.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

fn flush_verbose(err: &mut dyn Write) {
    for line in libbpf_log::take_pending() {
        let _ = writeln!(err, "{line}");
    }
}

/// Loads, attaches and prints until stopped. Returns Ok on a normal stop (signal, duration,
/// closed stdout); links are dropped, so everything is detached, on every path.
pub(crate) fn run(
    manifest: &Manifest,
    object: &[u8],
    opts: &Options,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), RunError> {
    libbpf_log::install(opts.verbose);
    if !sys::privileges().sufficient() {
        return Err(RunError::NeedsRoot);
    }
    if !sys::has_vmlinux_btf() {
        return Err(RunError::NoBtf);
    }
    for warning in signature::check(manifest, Path::new(sys::VMLINUX_BTF)) {
        let _ = writeln!(err, "{warning}");
    }
    let stop = StopSignals::install()?;
    let obj = load::load(manifest, object, &opts.params);
    flush_verbose(err);
    let obj = obj?;
    // Buffers before links, so no event of the first moments is lost.
    let streams = Streams::open(&obj, manifest, opts.json)?;
    let links = attach::attach_all(&obj, manifest);
    flush_verbose(err);
    let links = links?;
    let mut trace = if manifest.trace_printk {
        TracePipe::open()
    } else {
        None
    };
    let _ = writeln!(err, "{READY}");
    let _ = err.flush();
    let view = ViewOptions {
        json: opts.json,
        top: opts.top,
    };
    let result = (|| -> Result<(), Stop> {
        if !opts.json {
            for h in &streams.headers {
                writeln!(out, "{h}")?;
            }
        }
        out.flush()?;
        let start = Instant::now();
        let deadline = opts.duration.map(|d| start + d);
        let mut next_print = opts.interval.map(|i| start + i);
        loop {
            let now = Instant::now();
            if stop.raised() || deadline.is_some_and(|d| now >= d) {
                break;
            }
            let until = [deadline, next_print]
                .into_iter()
                .flatten()
                .map(|t| t.saturating_duration_since(now))
                .min();
            let wait = until.map_or(TICK, |u| u.min(TICK));
            if streams.is_empty() {
                std::thread::sleep(wait);
            } else {
                streams.poll(wait);
            }
            write_pending(&streams, trace.as_mut(), out, err)?;
            if let Some(t) = next_print
                && Instant::now() >= t
            {
                print_maps(&obj, manifest, view, true, out)?;
                next_print = opts.interval.map(|i| t + i);
            }
        }
        streams.consume();
        write_pending(&streams, trace.as_mut(), out, err)?;
        print_maps(&obj, manifest, view, false, out)
    })();
    drop(links);
    flush_verbose(err);
    match result {
        // A closed stdout (`tool | head`) ends the run quietly, as BCC's tools do on EPIPE.
        Ok(()) | Err(Stop::Output) => Ok(()),
        Err(Stop::Run(e)) => Err(e),
    }
}

/// Why the print loop ended early.
enum Stop {
    /// stdout or stderr was closed (or failed): nothing more can be shown.
    Output,
    /// A map could not be read.
    Run(RunError),
}

impl From<io::Error> for Stop {
    fn from(_: io::Error) -> Self {
        Stop::Output
    }
}

/// Writes events, `trace_pipe` lines and the lost-sample count gathered since the last call.
fn write_pending(
    streams: &Streams,
    trace: Option<&mut TracePipe>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> io::Result<()> {
    let lines = streams.take_lines();
    if !lines.is_empty() {
        out.write_all(lines.as_bytes())?;
    }
    if let Some(t) = trace {
        let lines = t.read_lines();
        if !lines.is_empty() {
            out.write_all(lines.as_bytes())?;
        }
    }
    out.flush()?;
    let lost = streams.take_lost();
    if lost > 0 {
        writeln!(err, "Possibly lost {lost} samples")?;
    }
    Ok(())
}

fn print_maps(
    obj: &libbpf_rs::Object,
    manifest: &Manifest,
    view: ViewOptions,
    clear: bool,
    out: &mut dyn Write,
) -> Result<(), Stop> {
    let text = maps::render_all(obj, manifest, view, clear).map_err(Stop::Run)?;
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}
