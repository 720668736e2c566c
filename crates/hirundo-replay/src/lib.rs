//! The load generator of the sensor's capture benchmark: sends frames held in memory out of
//! a Linux interface as fast as the kernel takes them.
//!
//! tcpreplay `--topspeed` makes one `sendto` per frame, which tops out at about 150,000
//! frames/s over a veth pair on this project's 2-core machines: far below the sensor's
//! target of 1 M packets/s, so it could not show whether the sensor keeps up. Here a packet
//! socket hands the kernel [`FRAMES_PER_CALL`] frames per `sendmmsg`, bypassing the queueing
//! discipline as pktgen and trafgen do. Written by hand because the crates that send on
//! packet sockets (pnet, pcap's `sendpacket`) send one frame per system call, and pktgen is
//! a kernel module that sandboxes and CI machines do not have.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// Frames per `sendmmsg`: enough to make the system call's own cost vanish.
pub const FRAMES_PER_CALL: usize = 1024;

/// Why frames could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("interface {0:?}: no such interface")]
    NoInterface(String),
    #[error("interface {iface}: {what}: {source}")]
    Socket {
        iface: String,
        what: &'static str,
        source: io::Error,
    },
}

/// What a replay did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Sent {
    pub frames: u64,
    pub bytes: u64,
    pub elapsed: Duration,
    /// Times the kernel had no buffer for a frame and the send was tried again.
    pub retries: u64,
}

impl Sent {
    pub fn frames_per_second(&self) -> f64 {
        self.frames as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// A packet socket bound to one interface, for sending only.
pub struct Transmitter {
    socket: OwnedFd,
    iface: String,
}

impl Transmitter {
    /// Opens a packet socket on `iface` (needs CAP_NET_RAW). Protocol 0: it receives nothing.
    pub fn open(iface: &str) -> Result<Transmitter, ReplayError> {
        let fail = |what| {
            let source = io::Error::last_os_error();
            move || ReplayError::Socket {
                iface: iface.to_owned(),
                what,
                source,
            }
        };
        let name = CString::new(iface).map_err(|_| ReplayError::NoInterface(iface.into()))?;
        // SAFETY: a C string that outlives the call.
        let index = unsafe { libc::if_nametoindex(name.as_ptr()) };
        if index == 0 {
            return Err(ReplayError::NoInterface(iface.into()));
        }
        // SAFETY: plain system call; the descriptor is owned right after.
        let fd = unsafe { libc::socket(libc::AF_PACKET, libc::SOCK_RAW, 0) };
        if fd < 0 {
            return Err(fail("packet socket")());
        }
        // SAFETY: `fd` is a new descriptor nobody else owns.
        let socket = unsafe { OwnedFd::from_raw_fd(fd) };
        let bypass: libc::c_int = 1;
        // SAFETY: the option value is a live c_int of the size passed.
        let set = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_PACKET,
                libc::PACKET_QDISC_BYPASS,
                (&bypass as *const libc::c_int).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if set < 0 {
            return Err(fail("PACKET_QDISC_BYPASS")());
        }
        // SAFETY: zeroed is a valid sockaddr_ll; the fields set below make it an address.
        let mut address: libc::sockaddr_ll = unsafe { std::mem::zeroed() };
        address.sll_family = libc::AF_PACKET as u16;
        address.sll_ifindex = index as i32;
        // SAFETY: the address is a live sockaddr_ll of the size passed.
        let bound = unsafe {
            libc::bind(
                fd,
                (&address as *const libc::sockaddr_ll).cast(),
                size_of::<libc::sockaddr_ll>() as libc::socklen_t,
            )
        };
        if bound < 0 {
            return Err(fail("bind")());
        }
        Ok(Transmitter {
            socket,
            iface: iface.to_owned(),
        })
    }

    /// Sends every frame, in order, `rounds` times, as fast as the kernel takes them.
    pub fn send_all(&self, frames: &[&[u8]], rounds: u32) -> Result<Sent, ReplayError> {
        let started = Instant::now();
        let mut sent = Sent::default();
        for _ in 0..rounds {
            for chunk in frames.chunks(FRAMES_PER_CALL) {
                self.send_chunk(chunk, &mut sent)?;
            }
        }
        sent.elapsed = started.elapsed();
        Ok(sent)
    }

    /// One chunk, resumed where the kernel stopped taking frames.
    fn send_chunk(&self, chunk: &[&[u8]], sent: &mut Sent) -> Result<(), ReplayError> {
        let mut iovecs: Vec<libc::iovec> = chunk
            .iter()
            .map(|frame| libc::iovec {
                iov_base: frame.as_ptr() as *mut libc::c_void,
                iov_len: frame.len(),
            })
            .collect();
        // SAFETY: zeroed is a valid mmsghdr (no address, no control data).
        let mut messages: Vec<libc::mmsghdr> = (0..chunk.len())
            .map(|_| unsafe { std::mem::zeroed() })
            .collect();
        for (message, iovec) in messages.iter_mut().zip(iovecs.iter_mut()) {
            message.msg_hdr.msg_iov = iovec;
            message.msg_hdr.msg_iovlen = 1;
        }
        let mut done = 0;
        while done < messages.len() {
            let rest = &mut messages[done..];
            // SAFETY: every message points at one iovec over a frame that outlives the call.
            let n = unsafe {
                libc::sendmmsg(
                    self.socket.as_raw_fd(),
                    rest.as_mut_ptr(),
                    rest.len() as libc::c_uint,
                    0,
                )
            };
            if n < 0 {
                let error = io::Error::last_os_error();
                match error.raw_os_error() {
                    Some(libc::ENOBUFS | libc::EAGAIN | libc::EINTR) => {
                        sent.retries += 1;
                        std::thread::yield_now();
                        continue;
                    }
                    _ => {
                        return Err(ReplayError::Socket {
                            iface: self.iface.clone(),
                            what: "sendmmsg",
                            source: error,
                        })
                    }
                }
            }
            let n = n as usize;
            sent.frames += n as u64;
            sent.bytes += chunk[done..done + n]
                .iter()
                .map(|f| f.len() as u64)
                .sum::<u64>();
            done += n;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_interface_is_named() {
        let error = Transmitter::open("no-such-if0").err().unwrap();
        assert_eq!(
            error.to_string(),
            "interface \"no-such-if0\": no such interface"
        );
    }
}
