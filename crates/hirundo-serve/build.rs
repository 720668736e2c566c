//! Puts the dashboard's charting library (Apache ECharts, pinned in web/package-lock.json)
//! into the binary, so that the dashboard works with no network. `npm ci` fetches it on the
//! first build; later builds copy it from web/node_modules.

use std::path::Path;
use std::process::Command;

const ECHARTS: &str = "web/node_modules/echarts/dist/echarts.min.js";

fn main() {
    println!("cargo:rerun-if-changed=web/package-lock.json");
    println!("cargo:rerun-if-changed={ECHARTS}");
    if !Path::new(ECHARTS).exists() {
        let status = Command::new("npm")
            .args(["ci", "--prefix", "web", "--no-audit", "--no-fund"])
            .status();
        match status {
            Ok(s) if s.success() => {}
            other => panic!(
                "{ECHARTS} is missing and `npm ci --prefix web` failed ({other:?}): \
                 install Node.js and npm (scripts/install-deps.sh does) and build again"
            ),
        }
    }
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::copy(ECHARTS, Path::new(&out).join("echarts.min.js"))
        .unwrap_or_else(|e| panic!("copying {ECHARTS}: {e}"));
}
