//! One task of the manifest, and its comma-separated lists.

/// How calls to a task's service travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Ipc {
    /// The kernel chooses: the direct path when the server exports a handler and is idle.
    #[default]
    Auto,
    /// Always switch to the server's thread, blocked in its `ipc_recv` loop.
    Switch,
}

/// A comma-separated list of names, as written (items are trimmed, empty items skipped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct List<'a>(pub(crate) &'a str);

impl<'a> List<'a> {
    pub fn iter(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.0.split(',').map(str::trim).filter(|item| !item.is_empty())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.iter().any(|item| item == name)
    }

    pub fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

/// A `[name]` section: one task to create from a ramdisk module.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Task<'a> {
    /// The task's name (the section header), unique in the manifest.
    pub name: &'a str,
    /// The module's file name in the ramdisk (`file`).
    pub file: &'a str,
    /// The service name it may register (`provides`).
    pub provides: Option<&'a str>,
    /// Services it may look up and call (`reach`); the kernel (task 1) is always reachable.
    pub reach: List<'a>,
    /// Devices it may use through kernel requests (`device`): `serial`.
    pub devices: List<'a>,
    /// Ramdisk files its READ_FILE requests may read: names starting with one of these
    /// prefixes (`files`, e.g. `www/`).
    pub files: List<'a>,
    /// Whether its TASKS requests may list the task table (`tasks = yes`).
    pub tasks: bool,
    /// Started at boot (`boot = yes`, or `boot = if DEVICE`); otherwise only by `run NAME`.
    pub boot: bool,
    /// `boot = if DEVICE`: started at boot only when the machine has that device (the network
    /// stack boots where there is a NIC).
    pub boot_if: Option<&'a str>,
    /// How calls to its service travel (`ipc`).
    pub ipc: Ipc,
    /// The argument string its ARGS request returns (`args`, the rest of the line).
    pub args: &'a str,
    /// Bytes its linear memory may grow to (`memory`, a multiple of 64 KiB); the kernel's
    /// default when absent.
    pub memory: Option<u64>,
    /// Elements its tables may hold together (`tables`); the kernel's default when absent.
    pub tables: Option<u64>,
    /// Bytes of its thread's stack (`stack`, a multiple of 4 KiB); the kernel's default when
    /// absent.
    pub stack: Option<u64>,
    /// The line of its `[name]` header.
    pub line: usize,
}

impl Task<'_> {
    /// Whether this task may look up and call `service`.
    pub fn may_reach(&self, service: &str) -> bool {
        self.reach.contains(service)
    }

    /// Whether this task may read ramdisk file `name` (READ_FILE): a `files` prefix matches.
    pub fn may_read(&self, name: &str) -> bool {
        self.files.iter().any(|prefix| name.starts_with(prefix))
    }

    /// The `programs` listing's word for `boot`: `yes`, `no`, or `if:DEVICE`.
    pub fn boot_word(&self) -> BootWord<'_> {
        BootWord(self)
    }

    /// Whether this task may use `device` (e.g. `"serial"`).
    pub fn has_device(&self, device: &str) -> bool {
        self.devices.contains(device)
    }
}

/// Shows a task's `boot` as one word (see [`Task::boot_word`]).
pub struct BootWord<'t>(&'t Task<'t>);

impl core::fmt::Display for BootWord<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match (self.0.boot, self.0.boot_if) {
            (true, Some(device)) => write!(f, "if:{device}"),
            (true, None) => f.pad("yes"),
            (false, _) => f.pad("no"),
        }
    }
}
