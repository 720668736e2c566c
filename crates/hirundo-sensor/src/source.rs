//! Sources of frames: a live interface through libpcap, or a capture file (for replays and
//! benchmarks, through the same reader as `hirundo ingest`).

use std::os::fd::{AsRawFd, RawFd};

use hirundo_capture::{CaptureReader, Frame};
use pcap::{Active, Capture, Direction, Precision};

use crate::config::{bpf_filter, Input, SensorConfig};
use crate::SensorError;

/// How long a live read waits for packets before returning, so batches are sealed on time
/// and a stop request is seen promptly on a quiet darknet. Also the kernel's block timeout:
/// a partly filled ring block is handed over at the latest this long after its first packet.
const READ_TIMEOUT_MS: i32 = 100;

/// What one poll of a source found.
#[derive(Debug, PartialEq, Eq)]
pub enum Poll {
    /// This many frames were handed over (0: none arrived in time).
    Frames(usize),
    /// The input is exhausted (files only).
    End,
}

/// Cumulative loss counters of a live capture, as the kernel keeps them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Loss {
    pub kernel_dropped: u64,
    pub interface_dropped: u64,
}

/// A source of frames.
pub trait FrameSource {
    /// Hands every frame available now to `sink`, waiting a little if there is none.
    fn poll(&mut self, sink: &mut dyn FnMut(Frame<'_>)) -> Result<Poll, SensorError>;
    /// What was lost before the sensor could read it (None for files).
    fn loss(&mut self) -> Option<Loss>;
}

/// Opens the source the configuration names.
pub fn open(config: &SensorConfig) -> Result<Box<dyn FrameSource>, SensorError> {
    Ok(match config.input()? {
        Input::Interface(iface) => Box::new(LiveSource::open(&iface, config)?),
        Input::File(path) => Box::new(FileSource {
            reader: CaptureReader::open(&path).map_err(|e| SensorError::Capture(e.to_string()))?,
        }),
    })
}

/// A live interface: libpcap on AF_PACKET's memory-mapped TPACKET_V3 ring, inbound packets
/// to the darknet only (kernel BPF), never transmitting.
pub struct LiveSource {
    capture: Capture<Active>,
    linktype: u32,
    /// The kernel's counters are 32-bit and wrap: widened here.
    last: pcap::Stat,
    loss: Loss,
}

impl LiveSource {
    fn open(iface: &str, config: &SensorConfig) -> Result<LiveSource, SensorError> {
        let pcap_error =
            |what: &str, e: pcap::Error| SensorError::Capture(format!("{iface}: {what}: {e}"));
        let ring_bytes = i32::try_from(u64::from(config.ring_mib) << 20).unwrap_or(i32::MAX);
        let mut capture = Capture::from_device(iface)
            .map_err(|e| pcap_error("no such interface", e))?
            .promisc(true)
            .snaplen(i32::try_from(config.snaplen).unwrap_or(i32::MAX))
            .buffer_size(ring_bytes)
            .timeout(READ_TIMEOUT_MS)
            .precision(Precision::Nano)
            .open()
            .map_err(|e| pcap_error("opening the capture (needs CAP_NET_RAW)", e))?
            // With TPACKET_V3, libpcap's blocking read waits for the kernel to hand over a
            // block, which never happens while the darknet is quiet: we wait ourselves.
            .setnonblock()
            .map_err(|e| pcap_error("non-blocking mode", e))?;
        let filter = bpf_filter(&config.darknet);
        capture
            .filter(&filter, true)
            .map_err(|e| pcap_error(&format!("filter {filter:?}"), e))?;
        capture
            .direction(Direction::In)
            .map_err(|e| pcap_error("inbound only", e))?;
        let linktype = capture.get_datalink().0 as u32;
        tracing::info!(iface, filter, linktype, "capturing");
        Ok(LiveSource {
            capture,
            linktype,
            last: pcap::Stat {
                received: 0,
                dropped: 0,
                if_dropped: 0,
            },
            loss: Loss::default(),
        })
    }
}

impl FrameSource for LiveSource {
    fn poll(&mut self, sink: &mut dyn FnMut(Frame<'_>)) -> Result<Poll, SensorError> {
        if !wait_readable(self.capture.as_raw_fd(), READ_TIMEOUT_MS)? {
            return Ok(Poll::Frames(0));
        }
        let linktype = self.linktype;
        let result = self.capture.dispatch(None, |packet| {
            let ts = packet.header.ts;
            // With nanosecond precision libpcap puts nanoseconds in tv_usec.
            let ts_ns = ts
                .tv_sec
                .saturating_mul(1_000_000_000)
                .saturating_add(ts.tv_usec);
            sink(Frame {
                ts_ns,
                linktype,
                data: packet.data,
                orig_len: packet.header.len,
            });
        });
        match result {
            Ok(n) => Ok(Poll::Frames(n)),
            Err(pcap::Error::TimeoutExpired) => Ok(Poll::Frames(0)),
            Err(e) => Err(SensorError::Capture(e.to_string())),
        }
    }

    fn loss(&mut self) -> Option<Loss> {
        let stat = self.capture.stats().ok()?;
        self.loss.kernel_dropped += u64::from(stat.dropped.wrapping_sub(self.last.dropped));
        self.loss.interface_dropped +=
            u64::from(stat.if_dropped.wrapping_sub(self.last.if_dropped));
        self.last = stat;
        Some(self.loss)
    }
}

/// Waits up to `timeout_ms` for `fd` to have data; false on timeout.
fn wait_readable(fd: RawFd, timeout_ms: i32) -> Result<bool, SensorError> {
    let mut pollfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, for the duration of the call; the fd is the capture's own.
    // Written by hand: poll(2) on one descriptor is all that is needed, and the capture
    // crate offers no wait of its own but through an async runtime.
    let ready = unsafe { libc::poll(&mut pollfd, 1, timeout_ms) };
    match ready {
        n if n > 0 => Ok(true),
        0 => Ok(false),
        _ => {
            let e = std::io::Error::last_os_error();
            if e.kind() == std::io::ErrorKind::Interrupted {
                Ok(false)
            } else {
                Err(SensorError::Capture(format!("poll: {e}")))
            }
        }
    }
}

/// A capture file, read once.
pub struct FileSource {
    reader: CaptureReader,
}

/// Frames handed over per poll of a file: a batch's worth keeps the loop's checks cheap.
const FILE_FRAMES_PER_POLL: usize = 4096;

impl FrameSource for FileSource {
    fn poll(&mut self, sink: &mut dyn FnMut(Frame<'_>)) -> Result<Poll, SensorError> {
        for n in 0..FILE_FRAMES_PER_POLL {
            match self.reader.next_frame() {
                Ok(Some(frame)) => sink(frame),
                Ok(None) if n == 0 => return Ok(Poll::End),
                Ok(None) => return Ok(Poll::Frames(n)),
                Err(e) => return Err(SensorError::Capture(e.to_string())),
            }
        }
        Ok(Poll::Frames(FILE_FRAMES_PER_POLL))
    }

    fn loss(&mut self) -> Option<Loss> {
        None
    }
}
