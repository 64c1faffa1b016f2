//! Starting and stopping one QEMU + OVMF virtual machine.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::accel::Accel;
use crate::error::Error;
use crate::install::Tools;
use crate::outcome::Outcome;

/// What to boot and how.
#[derive(Clone, Debug)]
pub struct VmConfig {
    pub tools: Tools,
    pub accel: Accel,
    /// The disk image; `None` boots the firmware alone (the KVM probe does that).
    pub image: Option<PathBuf>,
    /// Where each VM's writable copy of the OVMF variable store goes (removed afterwards).
    pub work_dir: PathBuf,
    /// Serial console on our terminal (`-serial mon:stdio`, inherited stdio) instead of pipes.
    pub terminal: bool,
    /// With pipes: capture QEMU's stderr instead of passing it through.
    pub capture_stderr: bool,
    /// A virtio-net NIC on QEMU's user network, or none.
    pub net: Option<Net>,
}

/// The VM's NIC: virtio-net on QEMU's user network (the guest is 10.0.2.15, the host 10.0.2.2).
#[derive(Clone, Debug, Default)]
pub struct Net {
    /// Host TCP port forwarded (on 127.0.0.1) to the guest's port 80.
    pub http_port: Option<u16>,
}

impl Net {
    fn args(&self) -> [String; 4] {
        let forward = self.http_port.map(|port| format!(",hostfwd=tcp:127.0.0.1:{port}-:80")).unwrap_or_default();
        ["-netdev".into(), format!("user,id=net0{forward}"), "-device".into(), "virtio-net-pci,netdev=net0".into()]
    }
}

impl VmConfig {
    /// QEMU's arguments, given the path of this VM's variable-store copy.
    pub fn args(&self, vars: &Path) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        let mut push = |s: &str| args.push(s.into());
        push("-machine");
        push("q35");
        push("-accel");
        push(self.accel.qemu_name());
        push("-cpu");
        push(self.accel.cpu_model());
        for arg in ["-m", "512M", "-smp", "1", "-display", "none"] {
            push(arg);
        }
        match &self.net {
            Some(net) => net.args().iter().for_each(|a| push(a)),
            None => ["-nic", "none"].iter().for_each(|a| push(a)),
        }
        for arg in ["-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"] {
            push(arg);
        }
        if self.terminal {
            push("-serial");
            push("mon:stdio");
        } else {
            for arg in ["-serial", "stdio", "-monitor", "none"] {
                push(arg);
            }
        }
        let drive = |prefix: &str, path: &Path| {
            let mut value = OsString::from(prefix);
            value.push(path.as_os_str());
            value
        };
        args.push("-drive".into());
        args.push(drive("if=pflash,format=raw,readonly=on,file=", &self.tools.ovmf_code));
        args.push("-drive".into());
        args.push(drive("if=pflash,format=raw,file=", vars));
        if let Some(image) = &self.image {
            // snapshot=on: guest writes go to a temporary overlay, so parallel VMs can share one image.
            args.push("-drive".into());
            args.push(drive("format=raw,snapshot=on,file=", image));
        }
        args
    }
}

/// A running QEMU (or another console process: the hosted runner). Dropping it stops the process
/// and removes QEMU's variable store.
pub struct Vm {
    child: Child,
    /// QEMU's copy of the OVMF variable store; `None` for a plain process.
    vars: Option<PathBuf>,
    /// QEMU owns our terminal: stop it gently so it restores the terminal settings.
    terminal: bool,
    exited: Option<Outcome>,
    pub stdin: Option<ChildStdin>,
    pub stdout: Option<ChildStdout>,
    pub stderr: Option<ChildStderr>,
}

impl Vm {
    /// Starts QEMU as `config` says.
    pub fn spawn(config: &VmConfig) -> Result<Vm, Error> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = config.work_dir.join("vm");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(format_args!("creating {}", dir.display()), e))?;
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let vars = dir.join(format!("ovmf-vars-{}-{n}.fd", std::process::id()));
        std::fs::copy(&config.tools.ovmf_vars, &vars)
            .map_err(|e| Error::io(format_args!("copying {} to {}", config.tools.ovmf_vars.display(), vars.display()), e))?;
        let mut command = Command::new(&config.tools.qemu);
        command.args(config.args(&vars));
        if !config.terminal {
            command.stdin(Stdio::piped()).stdout(Stdio::piped());
            if config.capture_stderr {
                command.stderr(Stdio::piped());
            }
        }
        let mut child = command.spawn().map_err(|e| {
            let _ = std::fs::remove_file(&vars);
            Error::io(format_args!("starting {}", config.tools.qemu.display()), e)
        })?;
        Ok(Vm {
            stdin: child.stdin.take(),
            stdout: child.stdout.take(),
            stderr: child.stderr.take(),
            child,
            vars: Some(vars),
            terminal: config.terminal,
            exited: None,
        })
    }

    /// Starts `command` as a console process (the hosted runner) with stdin, stdout and stderr
    /// piped; its exit status 0 counts as [`Outcome::Success`].
    pub fn spawn_process(mut command: Command) -> Result<Vm, Error> {
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().map_err(|e| Error::io(format_args!("starting {:?}", command.get_program()), e))?;
        Ok(Vm {
            stdin: child.stdin.take(),
            stdout: child.stdout.take(),
            stderr: child.stderr.take(),
            child,
            vars: None,
            terminal: false,
            exited: None,
        })
    }

    /// How QEMU ended, if it has.
    pub fn try_wait(&mut self) -> Option<Outcome> {
        if self.exited.is_none()
            && let Ok(Some(status)) = self.child.try_wait()
        {
            self.exited = Some(match self.vars {
                Some(_) => Outcome::from_status(status),
                None => Outcome::from_process_status(status),
            });
        }
        self.exited
    }

    /// Waits for QEMU to exit by itself until `deadline`; past it, stops QEMU and says `Timeout`.
    pub fn wait_until(&mut self, deadline: Instant) -> Outcome {
        loop {
            if let Some(outcome) = self.try_wait() {
                return outcome;
            }
            if Instant::now() >= deadline {
                self.stop();
                return Outcome::Timeout;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops QEMU: on a terminal SIGTERM first (so QEMU restores the terminal settings), then
    /// SIGKILL.
    pub fn stop(&mut self) {
        if self.try_wait().is_some() {
            return;
        }
        if !self.terminal {
            let _ = self.child.kill();
            let _ = self.child.wait();
            return;
        }
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .stderr(Stdio::null())
            .status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while self.try_wait().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if self.try_wait().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        self.stdin = None;
        self.stop();
        if let Some(vars) = &self.vars {
            let _ = std::fs::remove_file(vars);
        }
    }
}
