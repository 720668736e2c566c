//! `hirundo serve`: the HTTP API and the dashboard over a store.

use std::io::Write;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use hirundo_serve::ServeState;
use hirundo_store::Store;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0: any free port, printed).
    #[arg(long, default_value = "127.0.0.1:8470")]
    listen: SocketAddr,
    /// Require `Authorization: Bearer TOKEN` on /api/.
    #[arg(long, env = "HIRUNDO_API_TOKEN")]
    token: Option<String>,
    #[command(flatten)]
    scanners: crate::scanners::ScannersFile,
}

impl ServeArgs {
    /// The demo's: the default address, no token, the built-in scanner list.
    pub fn demo(listen: SocketAddr) -> ServeArgs {
        ServeArgs {
            listen,
            token: None,
            scanners: crate::scanners::ScannersFile { path: None },
        }
    }
}

pub fn run(db: &Path, args: ServeArgs) -> anyhow::Result<ExitCode> {
    let store = Store::open(db).with_context(|| format!("opening the store {}", db.display()))?;
    let scanners = crate::scanners::sql_extensions(&args.scanners)?;
    let state = ServeState::new(store, scanners.functions[0].1.clone(), args.token);
    hirundo_serve::run(args.listen, state, |bound| {
        println!("hirundo serve: dashboard at http://{bound}/ (API: http://{bound}/openapi.json); Ctrl-C stops");
        let _ = std::io::stdout().flush();
    })
    .with_context(|| format!("serving on {}", args.listen))?;
    Ok(ExitCode::SUCCESS)
}
