//! The network lab of the tests with real scanners: a "scanner" and a "sensor" network
//! namespace joined by a veth pair, a darknet routed to the sensor and assigned nowhere, and
//! Debian's zmap, masscan, nmap and hping3 sending a fixed number of probes into it.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::{query, tool};

/// The veth pair: `scan0` in the scanner namespace, `dark0` in the sensor namespace. The
/// names and addresses are private to the namespaces this test creates.
pub const SCAN_IF: &str = "scan0";
pub const SENSOR_IF: &str = "dark0";
pub const SCAN_MAC: &str = "02:00:00:00:00:01";
pub const SENSOR_MAC: &str = "02:00:00:00:00:02";
/// The link between them (TEST-NET-1): the scanner's tools send from their own addresses in
/// it; the sensor's address is the scanner's gateway to the darknet.
pub const LINK_PREFIX: u8 = 24;
pub const SCANNER_ADDR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
pub const SENSOR_ADDR: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 254);
/// The darknet (benchmarking space): routed to the sensor, assigned nowhere, so nothing answers.
pub const DARKNET: Ipv4Addr = Ipv4Addr::new(198, 18, 7, 0);
pub const DARKNET_PREFIX: u8 = 24;
/// Every tool sends at most this many packets per second.
pub const RATE: u32 = 100;

/// One tool's scan: what it is told to probe, and the fingerprint its probes must carry.
pub struct Scan {
    pub program: &'static str,
    /// `None`: no fingerprint may match.
    pub label: Option<&'static str>,
    pub src: Ipv4Addr,
    /// The addresses it may probe, and the ports.
    pub targets: Vec<Ipv4Addr>,
    pub ports: Vec<u16>,
    /// Probes per (address, port) it probes.
    pub per_target: u64,
    /// Probes it sends in all, from its command line.
    pub probes: u64,
    pub limit: Duration,
}

// nmap's and hping3's IP IDs are random: each of their probes has a 2 in 65536 chance of
// carrying zmap's or masscan's mark by accident, about 1 run in 2000 with the counts below.

/// zmap probes this many random addresses of the darknet, once each, on one port.
pub const ZMAP_TARGETS: u64 = 10;
/// hping3 sends this many SYNs to one address and port.
pub const HPING_COUNT: u64 = 5;

fn addresses(first: Ipv4Addr, n: u32) -> Vec<Ipv4Addr> {
    (0..n)
        .map(|i| Ipv4Addr::from(u32::from(first) + i))
        .collect()
}

fn darknet(host: u8) -> Ipv4Addr {
    let [a, b, c, _] = DARKNET.octets();
    Ipv4Addr::new(a, b, c, host)
}

pub fn scans() -> Vec<Scan> {
    let masscan_targets = addresses(darknet(16), 8);
    let masscan_ports = vec![80, 443];
    let nmap_targets = addresses(darknet(40), 4);
    let nmap_ports = vec![22, 80, 443];
    vec![
        Scan {
            program: "zmap",
            label: Some("zmap"),
            src: Ipv4Addr::new(192, 0, 2, 11),
            targets: addresses(DARKNET, 1 << (32 - DARKNET_PREFIX)),
            ports: vec![80],
            per_target: 1,
            probes: ZMAP_TARGETS,
            limit: Duration::from_secs(15),
        },
        Scan {
            program: "masscan",
            label: Some("masscan"),
            src: Ipv4Addr::new(192, 0, 2, 12),
            probes: (masscan_targets.len() * masscan_ports.len()) as u64,
            targets: masscan_targets,
            ports: masscan_ports,
            per_target: 1,
            limit: Duration::from_secs(20),
        },
        Scan {
            program: "nmap",
            label: Some("nmap"),
            src: Ipv4Addr::new(192, 0, 2, 13),
            probes: (nmap_targets.len() * nmap_ports.len()) as u64,
            targets: nmap_targets,
            ports: nmap_ports,
            per_target: 1,
            limit: Duration::from_secs(20),
        },
        Scan {
            program: "hping3",
            label: None,
            src: Ipv4Addr::new(192, 0, 2, 14),
            targets: vec![darknet(60)],
            ports: vec![8080],
            per_target: HPING_COUNT,
            probes: HPING_COUNT,
            limit: Duration::from_secs(15),
        },
    ]
}

fn ports_arg(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// The command line that makes `scan`'s tool send exactly its probes at `RATE`, run in a
/// directory that holds `zmap-blacklist.conf`.
fn command_line(scan: &Scan) -> Vec<String> {
    let src = scan.src;
    let ports = ports_arg(&scan.ports);
    let first = scan.targets[0];
    let last = scan.targets[scan.targets.len() - 1];
    let line = match scan.program {
        // Debian's /etc/zmap/blacklist.conf excludes 198.18.0.0/15: an empty list instead.
        "zmap" => format!(
            "-p {ports} -n {ZMAP_TARGETS} -P {} -r {RATE} -T 1 -c 0 -b zmap-blacklist.conf \
             -S {src} -i {SCAN_IF} -G {SENSOR_MAC} --disable-syslog -q -o /dev/null \
             {DARKNET}/{DARKNET_PREFIX}",
            scan.per_target
        ),
        "masscan" => format!(
            "{first}-{last} -p {ports} --rate {RATE} --adapter {SCAN_IF} --adapter-ip {src} \
             --router-mac {SENSOR_MAC} --wait 0"
        ),
        "nmap" => format!(
            "-sS -Pn -n --max-retries 0 --max-rate {RATE} -p {ports} -S {src} -e {SCAN_IF} \
             {first}-{}",
            last.octets()[3]
        ),
        "hping3" => format!(
            "-S -c {HPING_COUNT} -i u{} -p {ports} -a {src} -I {SCAN_IF} {first}",
            1_000_000 / RATE
        ),
        other => unreachable!("no command line for {other}"),
    };
    line.split_whitespace().map(String::from).collect()
}

/// The two namespaces and every process started in them. Dropping it (also when the test
/// fails) kills those processes and deletes the namespaces, which removes the veth pair.
pub struct Lab {
    pub scanner: String,
    pub sensor: String,
    pub children: Vec<Child>,
}

impl Lab {
    /// The namespaces, linked, with an address in the scanner for each of `scans`; `tag`
    /// tells one test's namespaces from another's.
    pub fn new(tag: &str, scans: &[Scan]) -> Lab {
        let id = std::process::id();
        let lab = Lab {
            scanner: format!("hirundo-{tag}-{id}-scanner"),
            sensor: format!("hirundo-{tag}-{id}-sensor"),
            children: Vec::new(),
        };
        let (s, d) = (lab.scanner.as_str(), lab.sensor.as_str());
        ip(&format!("netns add {s}"));
        ip(&format!("netns add {d}"));
        ip(&format!(
            "link add name {SCAN_IF} address {SCAN_MAC} netns {s} \
             type veth peer name {SENSOR_IF} address {SENSOR_MAC} netns {d}"
        ));
        ip(&format!(
            "-n {d} addr add {SENSOR_ADDR}/{LINK_PREFIX} dev {SENSOR_IF}"
        ));
        for addr in std::iter::once(SCANNER_ADDR).chain(scans.iter().map(|scan| scan.src)) {
            ip(&format!(
                "-n {s} addr add {addr}/{LINK_PREFIX} dev {SCAN_IF}"
            ));
        }
        for (ns, dev) in [(s, "lo"), (s, SCAN_IF), (d, "lo"), (d, SENSOR_IF)] {
            ip(&format!("-n {ns} link set {dev} up"));
        }
        ip(&format!(
            "-n {s} route add {DARKNET}/{DARKNET_PREFIX} via {SENSOR_ADDR}"
        ));
        // The sensor forwards nothing: probes to the darknet end there, unanswered.
        ip(&format!(
            "netns exec {d} sysctl -q -w net.ipv4.ip_forward=0"
        ));
        lab
    }

    /// Starts `program ARGS` inside namespace `ns`; returns its index in `children`.
    pub fn spawn(
        &mut self,
        ns: &str,
        program: &str,
        args: &[String],
        cwd: &Path,
        log: &Path,
    ) -> usize {
        let out = File::create(log).unwrap();
        let child = Command::new("ip")
            .args(["netns", "exec", ns, program])
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("start {program} in {ns}: {e}"));
        self.children.push(child);
        self.children.len() - 1
    }

    /// Waits for child `i` to exit by itself, at most `limit`.
    pub fn wait(&mut self, i: usize, what: &str, limit: Duration) -> ExitStatus {
        let child = &mut self.children[i];
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait().expect("wait for a child") {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{what} did not exit within {limit:?}");
            }
            sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for child in &mut self.children {
            if let Ok(None) = child.try_wait() {
                let _ = child.kill();
                let _ = child.wait();
            }
        }
        for ns in [&self.scanner, &self.sensor] {
            // Anything still running inside our own namespaces (only this test runs there).
            if let Ok(out) = Command::new("ip").args(["netns", "pids", ns]).output() {
                for pid in String::from_utf8_lossy(&out.stdout).split_whitespace() {
                    let _ = Command::new("kill").args(["-KILL", pid]).status();
                }
            }
            let _ = Command::new("ip")
                .args(["netns", "del", ns])
                .stderr(Stdio::null())
                .status();
        }
    }
}

/// Runs `ip` with the words of `line`, which must succeed.
fn ip(line: &str) {
    tool("ip", &line.split_whitespace().collect::<Vec<_>>());
}

/// Why this test cannot run here, if it cannot.
pub fn skip_reason() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("unknown");
    if uid != "0" {
        return Some(format!(
            "needs root to create network namespaces (effective uid {uid})"
        ));
    }
    match Command::new("ip").args(["netns", "list"]).output() {
        Ok(out) if out.status.success() => None,
        Ok(out) => Some(format!(
            "`ip netns` is unavailable: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(e) => Some(format!("`ip` (iproute2) is unavailable: {e}")),
    }
}

/// Runs every scan from the scanner namespace, one after the other, each from its own
/// address, and checks that each sent what it was told to.
pub fn run_scans(lab: &mut Lab, dir: &Path, scans: &[Scan]) {
    std::fs::write(dir.join("zmap-blacklist.conf"), "").unwrap();
    let scanner = lab.scanner.clone();
    for scan in scans {
        let args = command_line(scan);
        let log = dir.join(format!("{}.log", scan.program));
        let i = lab.spawn(&scanner, scan.program, &args, dir, &log);
        let status = lab.wait(i, scan.program, scan.limit);
        let output = std::fs::read_to_string(&log).unwrap_or_default();
        if scan.program == "hping3" {
            // hping3 exits 1 when nothing answered, which is what a darknet does.
            let sent = format!("{} packets transmitted", scan.probes);
            assert!(
                output.contains(&sent),
                "hping3 {args:?} ({status}):\n{output}"
            );
        } else {
            assert!(
                status.success(),
                "{} {args:?} failed ({status}):\n{output}",
                scan.program
            );
        }
    }
}

/// Checks that the store at `db` holds exactly the probes of `scans`, each with its tool's
/// fingerprint and no other, on the addresses and ports its command line names. Returns the
/// SYNs stored per source address.
pub fn assert_store_holds_scans(db: &Path, scans: &[Scan]) -> BTreeMap<String, u64> {
    let rows = query(
        db,
        "SELECT src, dst, dst_port, traffic_kind, tool, count(*) AS n FROM packets \
         GROUP BY src, dst, dst_port, traffic_kind, tool",
    );
    let text = |row: &serde_json::Map<String, serde_json::Value>, col: &str| {
        // JSON rows leave null columns out.
        row.get(col).and_then(|v| v.as_str()).map(str::to_owned)
    };

    // Nothing but the scanners' probes reached the darknet, and nothing answered them.
    let sources: BTreeSet<String> = scans.iter().map(|s| s.src.to_string()).collect();
    for row in &rows {
        let src = text(row, "src").unwrap();
        assert!(sources.contains(&src), "unexpected packets: {row:?}");
    }

    let mut store_syns = BTreeMap::new();
    for scan in scans {
        let src = scan.src.to_string();
        let mine: Vec<_> = rows
            .iter()
            .filter(|r| text(r, "src").as_deref() == Some(src.as_str()))
            .collect();
        let mut labels: BTreeMap<Option<String>, u64> = BTreeMap::new();
        let mut probed: BTreeMap<(Ipv4Addr, u16), u64> = BTreeMap::new();
        for row in &mine {
            let n = row["n"].as_u64().unwrap();
            assert_eq!(
                text(row, "traffic_kind").as_deref(),
                Some("tcp_syn_probe"),
                "{}: {row:?}",
                scan.program
            );
            *labels.entry(text(row, "tool")).or_default() += n;
            let dst: Ipv4Addr = text(row, "dst").unwrap().parse().unwrap();
            let port = row["dst_port"].as_u64().unwrap() as u16;
            *probed.entry((dst, port)).or_default() += n;
        }
        // Its fingerprint on every probe, no other tool's on any, and every probe there.
        let expected = BTreeMap::from([(scan.label.map(str::to_owned), scan.probes)]);
        assert_eq!(labels, expected, "{} probes by tool label", scan.program);
        for (&(dst, port), &n) in &probed {
            assert!(
                scan.targets.contains(&dst) && scan.ports.contains(&port),
                "{} probed {dst}:{port}, not on its command line",
                scan.program
            );
            assert_eq!(
                n, scan.per_target,
                "{} probes of {dst}:{port}",
                scan.program
            );
        }
        store_syns.insert(src, labels.values().sum::<u64>());
    }

    store_syns
}
