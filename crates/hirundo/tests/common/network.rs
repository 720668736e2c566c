//! The pieces of the sensor-collector tests: a private CA and a collector certificate made by
//! openssl, tokens made by `hirundo sensor-token`, long-running `hirundo` processes (in a
//! network namespace or not) that can be signalled, and reading their Prometheus metrics.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use super::{hirundo_ok, tool};

/// A CA and the collector's certificate for 127.0.0.1, signed by it.
pub struct Pki {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

pub fn make_pki(dir: &Path) -> Pki {
    let p = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca_args = vec!["req", "-x509", "-days", "1", "-subj", "/CN=hirundo test CA"];
    ca_args.extend(ec);
    let (ca_key, ca) = (p("ca.key"), p("ca.pem"));
    ca_args.extend(["-keyout", &ca_key, "-out", &ca]);
    tool("openssl", &ca_args);
    let (key, csr, cert) = (p("collector.key"), p("collector.csr"), p("collector.pem"));
    let mut csr_args = vec!["req", "-new", "-subj", "/CN=127.0.0.1"];
    csr_args.extend(ec);
    csr_args.extend(["-keyout", &key, "-out", &csr]);
    tool("openssl", &csr_args);
    let ext = p("collector.ext");
    std::fs::write(
        &ext,
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    tool(
        "openssl",
        &[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            &ext,
            "-out",
            &cert,
        ],
    );
    Pki {
        ca: ca.into(),
        cert: cert.into(),
        key: key.into(),
    }
}

/// Makes a token for `name` in `dir/NAME.token` and returns its sensors-file line.
pub fn sensor_token(dir: &Path, name: &str) -> (PathBuf, String) {
    let token = dir.join(format!("{name}.token"));
    let line = hirundo_ok(
        &dir.join("unused-db"),
        &[
            "sensor-token",
            name,
            "--token-file",
            token.to_str().unwrap(),
        ],
    );
    (token, line.trim().to_owned())
}

/// A free TCP port on loopback (of the namespace the test runs in).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `hirundo` process; killed on drop.
pub struct Proc {
    pub name: String,
    pub child: Child,
    pub log: PathBuf,
}

impl Proc {
    /// Starts `hirundo --db DB ARGS` (inside network namespace `ns` if given), its output
    /// going to `dir/NAME.log` (appended: a restarted process keeps its history).
    pub fn start(name: &str, ns: Option<&str>, dir: &Path, db: &Path, args: &[String]) -> Proc {
        let log = dir.join(format!("{name}.log"));
        let out = File::options()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let mut command = match ns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, env!("CARGO_BIN_EXE_hirundo")]);
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_hirundo")),
        };
        let child = command
            .arg("--db")
            .arg(db)
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| panic!("start {name}: {e}"));
        Proc {
            name: name.to_owned(),
            child,
            log,
        }
    }

    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until the log shows `needle` `count` times in all.
    pub fn wait_for_log(&mut self, needle: &str, count: usize, limit: Duration) {
        let deadline = Instant::now() + limit;
        while self.output().matches(needle).count() < count {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "{} exited ({status}) before {needle:?}:\n{}",
                    self.name,
                    self.output()
                );
            }
            assert!(
                Instant::now() < deadline,
                "{}: no {needle:?} within {limit:?}:\n{}",
                self.name,
                self.output()
            );
            sleep(Duration::from_millis(50));
        }
    }

    pub fn signal(&self, signal: &str) {
        let pid = self.child.id().to_string();
        tool("kill", &[&format!("-{signal}"), &pid]);
    }

    pub fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                panic!(
                    "{} did not exit within {limit:?}:\n{}",
                    self.name,
                    self.output()
                );
            }
            sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, and a clean exit expected.
    pub fn stop(&mut self) {
        self.signal("TERM");
        let status = self.wait_exit(Duration::from_secs(30));
        assert!(
            status.success(),
            "{}: {status}:\n{}",
            self.name,
            self.output()
        );
    }

    /// kill -9: no chance to flush anything.
    pub fn kill9(&mut self) {
        self.signal("KILL");
        let _ = self.wait_exit(Duration::from_secs(10));
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The value of metric `name` (with its labels as written, e.g. `x_total{sensor="a"}`) at
/// `http://ADDR/metrics`, fetched with curl (inside `ns` if given); None if absent.
pub fn metric(ns: Option<&str>, addr: &str, name: &str) -> Option<f64> {
    let url = format!("http://{addr}/metrics");
    let mut command = match ns {
        Some(ns) => {
            let mut c = Command::new("ip");
            c.args(["netns", "exec", ns, "curl"]);
            c
        }
        None => Command::new("curl"),
    };
    let out = command
        .args(["-sf", "--max-time", "5", &url])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.lines().find_map(|line| {
        let (key, value) = line.rsplit_once(' ')?;
        (key == name).then(|| value.parse().ok()).flatten()
    })
}

/// Waits until metric `name` of process `of` reaches `want`; panics with the last value and
/// the process's log otherwise.
pub fn wait_metric(
    of: &Proc,
    ns: Option<&str>,
    addr: &str,
    name: &str,
    want: f64,
    limit: Duration,
) {
    let deadline = Instant::now() + limit;
    loop {
        let got = metric(ns, addr, name);
        if got == Some(want) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{name} at {addr} is {got:?}, not {want}, after {limit:?}; {}:\n{}",
            of.name,
            of.output()
        );
        sleep(Duration::from_millis(100));
    }
}

/// The `.hrb` batches waiting in a spool directory.
pub fn spooled(spool: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(spool)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "hrb"));
    files.sort();
    files
}
