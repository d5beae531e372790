//! Event streams: the loaded object's perf-buffer and ring-buffer maps shown as events → one
//! formatted line per event (text columns or JSON), collected for the caller to write, and a
//! count of lost samples. Also the `trace_pipe` echo for `bpf_trace_printk`.

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::io::{ErrorKind, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::rc::Rc;
use std::time::Duration;

use bccc_manifest::{Display, Manifest, MapKind, Type};
use libbpf_rs::{MapCore, Object, PerfBuffer, PerfBufferBuilder, RingBuffer, RingBufferBuilder};

use crate::columns;
use crate::error::RunError;
use crate::sys;

/// Pages per CPU of each perf buffer (BCC's `open_perf_buffer` default).
const PERF_PAGES: usize = 8;

/// Formats one event record.
struct Formatter {
    ty: Type,
    cols: Vec<columns::Column>,
    json: bool,
}

impl Formatter {
    fn line(&self, record: &[u8]) -> String {
        if self.json {
            columns::json_row(&self.ty, "value", record)
        } else {
            columns::row(&self.cols, record)
        }
    }
}

/// The open event buffers of one run.
pub(crate) struct Streams {
    perf: Vec<PerfBuffer<'static>>,
    ring: Option<RingBuffer<'static>>,
    /// Formatted lines not yet written.
    lines: Rc<RefCell<String>>,
    /// Samples the kernel dropped since the last [`Streams::take_lost`].
    lost: Rc<Cell<u64>>,
    /// Column header lines (text mode), one per event map.
    pub(crate) headers: Vec<String>,
}

fn events_type(manifest: &Manifest, name: &str) -> Option<Type> {
    match &manifest.map(name)?.display {
        Display::Events { event } => Some(event.clone()),
        _ => None,
    }
}

impl Streams {
    /// Opens a perf buffer (one per online CPU, inside libbpf) or ring buffer for every map the
    /// manifest shows as events.
    pub(crate) fn open(obj: &Object, manifest: &Manifest, json: bool) -> Result<Streams, RunError> {
        let lines = Rc::new(RefCell::new(String::new()));
        let lost = Rc::new(Cell::new(0u64));
        let mut streams = Streams {
            perf: Vec::new(),
            ring: None,
            lines: lines.clone(),
            lost: lost.clone(),
            headers: Vec::new(),
        };
        let mut ring_builder = RingBufferBuilder::new();
        let mut ring_maps = 0;
        let maps: Vec<_> = obj.maps().collect();
        for spec in manifest
            .maps
            .iter()
            .filter(|m| matches!(m.kind, MapKind::PerfOutput | MapKind::Ringbuf))
        {
            let Some(ty) = events_type(manifest, &spec.name) else {
                continue;
            };
            let map = maps
                .iter()
                .find(|m| m.name() == spec.object_name())
                .ok_or_else(|| RunError::Missing {
                    what: "map",
                    name: spec.name.clone(),
                })?;
            let cols = columns::columns(&ty, "VALUE");
            streams.headers.push(columns::header(&cols));
            let fmt = Formatter { ty, cols, json };
            let buffer_error = |e: libbpf_rs::Error| RunError::Buffer {
                map: spec.name.clone(),
                reason: e.to_string(),
            };
            let sink = lines.clone();
            if spec.kind == MapKind::PerfOutput {
                let lost_sink = lost.clone();
                let pb = PerfBufferBuilder::new(map)
                    .pages(PERF_PAGES)
                    .sample_cb(move |_cpu, data: &[u8]| push_line(&sink, &fmt.line(data)))
                    .lost_cb(move |_cpu, n| lost_sink.set(lost_sink.get() + n))
                    .build()
                    .map_err(buffer_error)?;
                streams.perf.push(pb);
            } else {
                ring_builder
                    .add(map, move |data: &[u8]| {
                        push_line(&sink, &fmt.line(data));
                        0
                    })
                    .map_err(buffer_error)?;
                ring_maps += 1;
            }
        }
        if ring_maps > 0 {
            let ring = ring_builder.build().map_err(|e| RunError::Buffer {
                map: "ring buffer".into(),
                reason: e.to_string(),
            })?;
            streams.ring = Some(ring);
        }
        Ok(streams)
    }

    /// Whether there is any buffer to poll.
    #[must_use]
    pub(crate) fn is_empty(&self) -> bool {
        self.perf.is_empty() && self.ring.is_none()
    }

    /// Waits up to `timeout` for events and formats what arrived. Interrupted waits (a signal)
    /// return early; that is how Ctrl-C stops a run promptly.
    pub(crate) fn poll(&self, timeout: Duration) {
        let mut wait = timeout;
        for pb in &self.perf {
            let _ = pb.poll(wait);
            wait = Duration::ZERO;
        }
        if let Some(ring) = &self.ring {
            let _ = ring.poll(wait);
        }
    }

    /// Reads whatever is left in the buffers without waiting.
    pub(crate) fn consume(&self) {
        for pb in &self.perf {
            let _ = pb.consume();
        }
        if let Some(ring) = &self.ring {
            let _ = ring.consume();
        }
    }

    /// Lines formatted since the last call.
    #[must_use]
    pub(crate) fn take_lines(&self) -> String {
        std::mem::take(&mut *self.lines.borrow_mut())
    }

    /// Samples lost since the last call.
    #[must_use]
    pub(crate) fn take_lost(&self) -> u64 {
        self.lost.replace(0)
    }
}

fn push_line(sink: &Rc<RefCell<String>>, line: &str) {
    let mut s = sink.borrow_mut();
    s.push_str(line);
    s.push('\n');
}

/// `<tracefs>/trace_pipe`, read without blocking, echoed line by line as BCC's `trace_print`.
pub(crate) struct TracePipe {
    file: File,
    partial: Vec<u8>,
}

impl TracePipe {
    /// Opens `trace_pipe` (None without tracefs).
    #[must_use]
    pub(crate) fn open() -> Option<TracePipe> {
        let path = sys::tracefs()?.join("trace_pipe");
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .ok()?;
        Some(TracePipe {
            file,
            partial: Vec::new(),
        })
    }

    /// Complete lines available now, each without trailing white space, newline-terminated.
    pub(crate) fn read_lines(&mut self) -> String {
        let mut buf = [0u8; 4096];
        loop {
            match self.file.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => self.partial.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let Some(end) = self.partial.iter().rposition(|b| *b == b'\n') else {
            return String::new();
        };
        let complete: Vec<u8> = self.partial.drain(..=end).collect();
        let mut out = String::new();
        for line in String::from_utf8_lossy(&complete).lines() {
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}
