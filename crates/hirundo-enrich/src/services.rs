//! IANA service names of TCP and UDP ports (`23/tcp telnet`, `445/tcp microsoft-ds`), from
//! the registry shipped in `data/services/` (see its NOTICE).

use std::sync::LazyLock;

const REGISTRY: &str = include_str!("../../../data/services/port-numbers.tsv");

/// Names by port, one table per protocol: a look-up is an index.
struct Table {
    tcp: Vec<Option<&'static str>>,
    udp: Vec<Option<&'static str>>,
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut table = Table {
        tcp: vec![None; 1 << 16],
        udp: vec![None; 1 << 16],
    };
    for line in REGISTRY.lines().filter(|l| !l.starts_with('#')) {
        let mut fields = line.split('\t');
        let (Some(port), Some(proto), Some(name)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let Ok(port) = port.parse::<u16>() else {
            continue;
        };
        match proto {
            "tcp" => table.tcp[usize::from(port)] = Some(name),
            "udp" => table.udp[usize::from(port)] = Some(name),
            _ => {}
        }
    }
    table
});

/// The service name of `port` for IP protocol `protocol` (6 TCP, 17 UDP).
#[inline]
pub fn name(protocol: u8, port: u16) -> Option<&'static str> {
    match protocol {
        6 => TABLE.tcp[usize::from(port)],
        17 => TABLE.udp[usize::from(port)],
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_ports() {
        assert_eq!(name(6, 23), Some("telnet"));
        assert_eq!(name(6, 445), Some("microsoft-ds"));
        assert_eq!(name(6, 1433), Some("ms-sql-s"));
        assert_eq!(name(6, 3389), Some("ms-wbt-server"));
        assert_eq!(name(17, 53), Some("domain"));
        assert_eq!(name(17, 1900), Some("ssdp"));
        assert_eq!(name(6, 37215), None, "unassigned");
        assert_eq!(name(1, 0), None);
    }
}
