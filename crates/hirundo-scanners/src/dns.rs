//! Reverse-DNS (PTR) lookups: one UDP question to one server, blocking, with a timeout.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use simple_dns::rdata::RData;
use simple_dns::{Name, Packet, PacketFlag, Question, CLASS, RCODE, TYPE};

/// Why a PTR lookup gave no answer (an answer without names is not an error).
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("DNS server {server}: {source}")]
    Io {
        server: SocketAddr,
        source: std::io::Error,
    },
    #[error("DNS server {server} did not answer within {timeout:?}")]
    Timeout {
        server: SocketAddr,
        timeout: Duration,
    },
    #[error("DNS server {server} answered {rcode}")]
    Failed { server: SocketAddr, rcode: String },
    #[error("DNS message: {0}")]
    Message(#[from] simple_dns::SimpleDnsError),
}

/// The first `nameserver` of `/etc/resolv.conf`, on port 53.
pub fn system_resolver() -> Option<SocketAddr> {
    let conf = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    first_nameserver(&conf)
}

fn first_nameserver(conf: &str) -> Option<SocketAddr> {
    conf.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        (fields.next()? == "nameserver").then_some(())?;
        // A scoped IPv6 server (fe80::1%eth0) is skipped: std cannot parse the zone.
        let addr: IpAddr = fields.next()?.parse().ok()?;
        Some(SocketAddr::new(addr, 53))
    })
}

/// The name a PTR record of `addr` lives under: `4.3.2.1.in-addr.arpa`, or the nibbles of an
/// IPv6 address under `ip6.arpa`.
pub fn reverse_name(addr: IpAddr) -> String {
    match addr.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            format!("{d}.{c}.{b}.{a}.in-addr.arpa")
        }
        IpAddr::V6(v6) => {
            let mut name = String::with_capacity(72);
            for byte in v6.octets().iter().rev() {
                name.push_str(&format!("{:x}.{:x}.", byte & 0xf, byte >> 4));
            }
            name + "ip6.arpa"
        }
    }
}

/// The PTR names of `addr` according to `server` (empty when it has none).
pub fn lookup_ptr(
    server: SocketAddr,
    addr: IpAddr,
    timeout: Duration,
) -> Result<Vec<String>, DnsError> {
    let io = |source| DnsError::Io { server, source };
    let bind: SocketAddr = if server.is_ipv4() {
        "0.0.0.0:0".parse().expect("literal")
    } else {
        "[::]:0".parse().expect("literal")
    };
    let socket = UdpSocket::bind(bind).map_err(io)?;
    socket.connect(server).map_err(io)?;
    let id = query_id(addr);
    socket.send(&ptr_query(id, addr)?).map_err(io)?;
    let deadline = Instant::now() + timeout;
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(DnsError::Timeout { server, timeout });
        }
        socket.set_read_timeout(Some(left)).map_err(io)?;
        let len = match socket.recv(&mut buf) {
            Ok(len) => len,
            Err(e) if is_timeout(&e) => return Err(DnsError::Timeout { server, timeout }),
            Err(e) => return Err(io(e)),
        };
        // A stray datagram (late answer to someone else) is not ours: keep waiting.
        if let Some(names) = ptr_answer(&buf[..len], id, server)? {
            return Ok(names);
        }
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// A query id that differs between addresses and runs; spoofing resistance is not the point
/// (the answer only feeds evidence a person reads).
fn query_id(addr: IpAddr) -> u16 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(addr) as u16
}

fn ptr_query(id: u16, addr: IpAddr) -> Result<Vec<u8>, DnsError> {
    let name = reverse_name(addr);
    let mut packet = Packet::new_query(id);
    packet.set_flags(PacketFlag::RECURSION_DESIRED);
    let question = Question::new(Name::new(&name)?, TYPE::PTR.into(), CLASS::IN.into(), false);
    packet.questions.push(question);
    Ok(packet.build_bytes_vec()?)
}

/// The names of a reply to query `id`; None if the datagram answers something else.
fn ptr_answer(
    datagram: &[u8],
    id: u16,
    server: SocketAddr,
) -> Result<Option<Vec<String>>, DnsError> {
    let packet = Packet::parse(datagram)?;
    if packet.id() != id || !packet.has_flags(PacketFlag::RESPONSE) {
        return Ok(None);
    }
    match packet.rcode() {
        RCODE::NoError | RCODE::NameError => {}
        rcode => {
            return Err(DnsError::Failed {
                server,
                rcode: format!("{rcode:?}"),
            })
        }
    }
    let names = packet
        .answers
        .iter()
        .filter_map(|record| match &record.rdata {
            RData::PTR(ptr) => Some(ptr.0.to_string().trim_end_matches('.').to_owned()),
            _ => None,
        })
        .collect();
    Ok(Some(names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name("192.0.2.10".parse().unwrap()),
            "10.2.0.192.in-addr.arpa"
        );
        assert_eq!(
            reverse_name("2001:db8::567:89ab".parse().unwrap()),
            "b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"
        );
        assert_eq!(
            reverse_name("::ffff:192.0.2.10".parse().unwrap()),
            "10.2.0.192.in-addr.arpa"
        );
    }

    #[test]
    fn resolv_conf() {
        let conf = "# generated\nsearch example\nnameserver fe80::1%eth0\nnameserver 192.0.2.53\nnameserver 2001:db8::53\n";
        assert_eq!(first_nameserver(conf), "192.0.2.53:53".parse().ok());
        assert_eq!(first_nameserver("options ndots:1\n"), None);
    }

    #[test]
    fn a_reply_is_read_and_others_ignored() {
        let addr: IpAddr = "192.0.2.10".parse().unwrap();
        let server: SocketAddr = "192.0.2.53:53".parse().unwrap();
        let query = ptr_query(7, addr).unwrap();
        let mut reply = Packet::parse(&query).unwrap().into_reply();
        let owner = reverse_name(addr);
        let target = "scan-01.example.ac.jp";
        reply.answers.push(simple_dns::ResourceRecord::new(
            Name::new(&owner).unwrap(),
            CLASS::IN,
            300,
            RData::PTR(simple_dns::rdata::PTR(Name::new(target).unwrap())),
        ));
        let bytes = reply.build_bytes_vec().unwrap();
        assert_eq!(
            ptr_answer(&bytes, 7, server).unwrap(),
            Some(vec![target.to_owned()])
        );
        assert_eq!(ptr_answer(&bytes, 8, server).unwrap(), None, "other id");
        assert_eq!(ptr_answer(&query, 7, server).unwrap(), None, "not a reply");
    }

    #[test]
    fn silence_times_out() {
        // A bound socket that never answers.
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let server = silent.local_addr().unwrap();
        let started = Instant::now();
        let result = lookup_ptr(
            server,
            "192.0.2.1".parse().unwrap(),
            Duration::from_millis(200),
        );
        assert!(
            matches!(result, Err(DnsError::Timeout { .. })),
            "{result:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
