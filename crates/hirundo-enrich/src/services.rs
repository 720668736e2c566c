//! IANA service names of TCP and UDP ports (`23/tcp telnet`, `445/tcp microsoft-ds`), from
//! the registry shipped in `data/services/` (see its NOTICE).

use std::collections::HashMap;
use std::num::NonZeroU16;
use std::sync::LazyLock;

const REGISTRY: &str = include_str!("../../../data/services/port-numbers.tsv");

/// Names by port, one table per protocol: a look-up is an index.
struct Table {
    /// Each name once: the registry names a few thousand services on 130 k ports.
    names: Vec<&'static str>,
    /// By port: the service's index in `names` plus one, 0 for none (two bytes a port, so
    /// that both tables stay in the CPU caches under ingest).
    tcp: Vec<u16>,
    udp: Vec<u16>,
}

/// A service of the registry, in two bytes: its number among the registry's names, which
/// is also a small key for the store's dictionaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Service(NonZeroU16);

impl Service {
    /// From 1 up, the same for a name's TCP and UDP ports.
    pub fn number(self) -> u16 {
        self.0.get()
    }

    pub fn name(self) -> &'static str {
        TABLE.names[usize::from(self.0.get() - 1)]
    }
}

static TABLE: LazyLock<Table> = LazyLock::new(|| {
    let mut table = Table {
        names: Vec::new(),
        tcp: vec![0; 1 << 16],
        udp: vec![0; 1 << 16],
    };
    let mut numbers: HashMap<&'static str, u16> = HashMap::new();
    for line in REGISTRY.lines().filter(|l| !l.starts_with('#')) {
        let mut fields = line.split('\t');
        let (Some(port), Some(proto), Some(name)) = (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let Ok(port) = port.parse::<u16>() else {
            continue;
        };
        let ports = match proto {
            "tcp" => &mut table.tcp,
            "udp" => &mut table.udp,
            _ => continue,
        };
        let number = *numbers.entry(name).or_insert_with(|| {
            table.names.push(name);
            u16::try_from(table.names.len()).expect("fewer than 65,536 service names")
        });
        ports[usize::from(port)] = number;
    }
    table
});

/// The service of `port` for IP protocol `protocol` (6 TCP, 17 UDP).
#[inline]
pub fn lookup(protocol: u8, port: u16) -> Option<Service> {
    let number = match protocol {
        6 => TABLE.tcp[usize::from(port)],
        17 => TABLE.udp[usize::from(port)],
        _ => 0,
    };
    NonZeroU16::new(number).map(Service)
}

/// The service name of `port` for IP protocol `protocol` (6 TCP, 17 UDP).
#[inline]
pub fn name(protocol: u8, port: u16) -> Option<&'static str> {
    lookup(protocol, port).map(Service::name)
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

    #[test]
    fn a_name_has_one_number_for_both_protocols() {
        let (tcp, udp) = (lookup(6, 53).unwrap(), lookup(17, 53).unwrap());
        assert_eq!((tcp.name(), tcp.number()), ("domain", udp.number()));
        assert_ne!(lookup(6, 23).unwrap().number(), tcp.number());
    }
}
