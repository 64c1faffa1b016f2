//! The options `build`, `run` and `test` share, parsed by hand.

use std::path::PathBuf;
use std::time::Duration;

use hayabusa_boot::AccelChoice;

use crate::Failure;

/// Parsed command-line options of a subcommand.
#[derive(Debug)]
pub struct Options {
    pub release: bool,
    pub accel: AccelChoice,
    pub timeout: Option<Duration>,
    /// `--program FILE`: modules to add to the ramdisk (`extra.rs`).
    pub programs: Vec<PathBuf>,
    /// `--manifest FRAGMENT`: manifest sections to add.
    pub manifests: Vec<PathBuf>,
    /// `--tcp-port GUEST=HOST`: port map for the hosted runner's tcpip (`host`).
    pub tcp_ports: Vec<String>,
    /// `--http-port PORT`: the host port forwarded to the guest's port 80 (`run`; 0: none).
    pub http_port: Option<u16>,
    /// Everything after `--`.
    pub passthrough: Vec<String>,
}

/// `cargo xtask run`'s default `--http-port`.
pub const DEFAULT_HTTP_PORT: u16 = 8080;

impl Options {
    /// Parses `args`; `allowed` lists the options this subcommand takes (besides `--release`).
    pub fn parse(args: &[String], allowed: &[&str]) -> Result<Options, Failure> {
        let mut options = Options {
            release: false,
            accel: AccelChoice::Auto,
            timeout: None,
            programs: Vec::new(),
            manifests: Vec::new(),
            tcp_ports: Vec::new(),
            http_port: Some(DEFAULT_HTTP_PORT),
            passthrough: Vec::new(),
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
                _ => (arg.as_str(), None),
            };
            if name != "--release" && !allowed.contains(&name) {
                return Err(Failure::Usage(format!("unexpected argument `{arg}`")));
            }
            let mut value = || {
                inline.clone().or_else(|| args.next().cloned()).ok_or_else(|| Failure::Usage(format!("{name} needs a value")))
            };
            match name {
                "--release" => options.release = true,
                "--accel" => {
                    let text = value()?;
                    options.accel = AccelChoice::parse(&text)
                        .ok_or_else(|| Failure::Usage(format!("--accel must be auto, tcg or kvm, not `{text}`")))?;
                }
                "--timeout" => {
                    let text = value()?;
                    let secs: u64 = text
                        .parse()
                        .ok()
                        .filter(|&s| s > 0)
                        .ok_or_else(|| Failure::Usage(format!("--timeout takes a number of seconds, not `{text}`")))?;
                    options.timeout = Some(Duration::from_secs(secs));
                }
                "--program" => options.programs.push(value()?.into()),
                "--manifest" => options.manifests.push(value()?.into()),
                "--tcp-port" => options.tcp_ports.push(value()?),
                "--http-port" => {
                    let text = value()?;
                    let port: u16 = text
                        .parse()
                        .map_err(|_| Failure::Usage(format!("--http-port takes a port number (0: no forwarding), not `{text}`")))?;
                    options.http_port = (port != 0).then_some(port);
                }
                "--" => {
                    options.passthrough = args.by_ref().cloned().collect();
                }
                _ => return Err(Failure::Usage(format!("unexpected argument `{arg}`"))),
            }
        }
        Ok(options)
    }

    /// `debug` or `release`: the cargo profile directory name.
    pub fn profile(&self) -> &'static str {
        if self.release { "release" } else { "debug" }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str], allowed: &[&str]) -> Result<Options, Failure> {
        Options::parse(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>(), allowed)
    }

    #[test]
    fn programs_and_manifests_repeat() {
        let allowed = ["--program", "--manifest"];
        let options = parse(&["--program", "a.wasm", "--program=b.wat", "--manifest", "m", "--release"], &allowed).unwrap();
        assert_eq!(options.programs, [PathBuf::from("a.wasm"), PathBuf::from("b.wat")]);
        assert_eq!(options.manifests, [PathBuf::from("m")]);
        assert!(options.release);
        assert!(matches!(parse(&["--program"], &allowed), Err(Failure::Usage(m)) if m == "--program needs a value"));
        assert!(matches!(parse(&["--program", "a.wasm"], &[]), Err(Failure::Usage(_))));
    }
}
