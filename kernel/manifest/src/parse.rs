//! Parsing: `[task]` sections of `key = value` lines, checked once, then read without failure.

use crate::{DEVICES, Error, ErrorKind, Ipc, List, MAX_FILE, MAX_MEMORY, MAX_NAME, MAX_STACK, MAX_TABLE_ELEMENTS, MIN_STACK, Task};

/// A manifest whose every line has been checked.
#[derive(Clone, Copy, Debug)]
pub struct Manifest<'a> {
    text: &'a str,
}

impl<'a> Manifest<'a> {
    /// Checks `text`: syntax, keys and values, unique task names and services.
    pub fn parse(text: &'a str) -> Result<Manifest<'a>, Error> {
        let manifest = Manifest { text };
        for (i, task) in Sections::new(text).enumerate() {
            let task = task?;
            for earlier in manifest.tasks().take(i) {
                let kind = if earlier.name == task.name {
                    ErrorKind::DuplicateTask
                } else if earlier.provides.is_some() && earlier.provides == task.provides {
                    ErrorKind::DuplicateService
                } else {
                    continue;
                };
                return Err(Error { line: task.line, kind });
            }
        }
        Ok(manifest)
    }

    /// The tasks, in manifest order.
    pub fn tasks(&self) -> impl Iterator<Item = Task<'a>> + 'a {
        Sections::new(self.text).map_while(Result::ok)
    }

    /// The task named `name`.
    pub fn task(&self, name: &str) -> Option<Task<'a>> {
        self.tasks().find(|t| t.name == name)
    }

    /// The task that provides `service`.
    pub fn provider(&self, service: &str) -> Option<Task<'a>> {
        self.tasks().find(|t| t.provides == Some(service))
    }
}

/// Whether `name` is a valid task or service name.
pub fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn valid_file(file: &str) -> bool {
    (1..=MAX_FILE).contains(&file.len()) && file.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

/// Yields one task per `[name]` section; stops after the first error.
struct Sections<'a> {
    lines: core::iter::Peekable<core::iter::Enumerate<core::str::Lines<'a>>>,
    failed: bool,
}

enum Line<'a> {
    Blank,
    Header(&'a str),
    Pair(&'a str, &'a str),
}

fn classify(line: &str) -> Option<Line<'_>> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        Some(Line::Blank)
    } else if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
        Some(Line::Header(name.trim()))
    } else {
        let (key, value) = line.split_once('=')?;
        Some(Line::Pair(key.trim(), value.trim()))
    }
}

impl<'a> Sections<'a> {
    fn new(text: &'a str) -> Sections<'a> {
        Sections { lines: text.lines().enumerate().peekable(), failed: false }
    }

    fn section(&mut self) -> Option<Result<Task<'a>, Error>> {
        let (line, name) = loop {
            let (i, text) = self.lines.next()?;
            match classify(text) {
                Some(Line::Blank) => continue,
                Some(Line::Header(name)) => break (i + 1, name),
                Some(Line::Pair(..)) => return Some(Err(Error { line: i + 1, kind: ErrorKind::OutsideTask })),
                None => return Some(Err(Error { line: i + 1, kind: ErrorKind::Syntax })),
            }
        };
        if !valid_name(name) {
            return Some(Err(Error { line, kind: ErrorKind::BadName }));
        }
        let mut task = Task {
            name,
            file: "",
            provides: None,
            reach: List::default(),
            devices: List::default(),
            files: List::default(),
            tasks: false,
            boot: false,
            boot_if: None,
            ipc: Ipc::Auto,
            args: "",
            memory: None,
            tables: None,
            stack: None,
            line,
        };
        let mut seen = 0u16;
        while let Some(&(i, text)) = self.lines.peek() {
            let (key, value) = match classify(text) {
                Some(Line::Header(_)) => break,
                Some(Line::Blank) => {
                    self.lines.next();
                    continue;
                }
                Some(Line::Pair(key, value)) => (key, value),
                None => return Some(Err(Error { line: i + 1, kind: ErrorKind::Syntax })),
            };
            self.lines.next();
            if let Err(kind) = set(&mut task, &mut seen, key, value) {
                return Some(Err(Error { line: i + 1, kind }));
            }
        }
        if task.file.is_empty() {
            return Some(Err(Error { line, kind: ErrorKind::MissingFile }));
        }
        Some(Ok(task))
    }
}

impl<'a> Iterator for Sections<'a> {
    type Item = Result<Task<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let item = self.section();
        self.failed = matches!(item, Some(Err(_)));
        item
    }
}

/// A count or size: decimal digits with an optional `K`, `M` or `G` suffix (binary units).
fn number(value: &str) -> Option<u64> {
    let (digits, unit) = match value.as_bytes().last()? {
        b'K' | b'k' => (&value[..value.len() - 1], 1 << 10),
        b'M' | b'm' => (&value[..value.len() - 1], 1 << 20),
        b'G' | b'g' => (&value[..value.len() - 1], 1 << 30),
        _ => (value, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

/// Applies one `key = value` line to `task`; `seen` has a bit per key already given.
fn set<'a>(task: &mut Task<'a>, seen: &mut u16, key: &str, value: &'a str) -> Result<(), ErrorKind> {
    const KEYS: [&str; 12] = ["file", "provides", "reach", "device", "boot", "ipc", "args", "memory", "tables", "stack", "files", "tasks"];
    let index = KEYS.iter().position(|k| *k == key).ok_or(ErrorKind::UnknownKey)?;
    if *seen & (1 << index) != 0 {
        return Err(ErrorKind::DuplicateKey);
    }
    *seen |= 1 << index;
    let list = List(value);
    match key {
        "file" if valid_file(value) => task.file = value,
        "file" => return Err(ErrorKind::BadFileName),
        "provides" if valid_name(value) => task.provides = Some(value),
        "reach" if list.iter().all(valid_name) => task.reach = list,
        "provides" | "reach" => return Err(ErrorKind::BadName),
        "device" if list.iter().all(|d| DEVICES.contains(&d)) => task.devices = list,
        "files" if list.iter().all(valid_file) => task.files = list,
        "files" => return Err(ErrorKind::BadFileName),
        "tasks" if value == "yes" || value == "no" => task.tasks = value == "yes",
        "boot" if value == "yes" || value == "no" => task.boot = value == "yes",
        "boot" => match value.strip_prefix("if ").map(str::trim) {
            Some(device) if DEVICES.contains(&device) => (task.boot, task.boot_if) = (true, Some(device)),
            _ => return Err(ErrorKind::BadValue),
        },
        "ipc" if value == "auto" => task.ipc = Ipc::Auto,
        "ipc" if value == "switch" => task.ipc = Ipc::Switch,
        "args" => task.args = value,
        "memory" => match number(value) {
            Some(bytes) if bytes <= MAX_MEMORY && bytes.is_multiple_of(64 << 10) => task.memory = Some(bytes),
            _ => return Err(ErrorKind::BadLimit),
        },
        "tables" => match number(value) {
            Some(n) if n <= MAX_TABLE_ELEMENTS => task.tables = Some(n),
            _ => return Err(ErrorKind::BadLimit),
        },
        "stack" => match number(value) {
            Some(bytes) if (MIN_STACK..=MAX_STACK).contains(&bytes) && bytes.is_multiple_of(4096) => task.stack = Some(bytes),
            _ => return Err(ErrorKind::BadLimit),
        },
        _ => return Err(ErrorKind::BadValue),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# comment
[console]
file = console.wasm
provides = console
device = serial
boot = yes

  [client]
file=client.wasm
reach = console , other,
args = 3 two words # not a comment
ipc = switch
";

    #[test]
    fn reads_tasks() {
        let m = Manifest::parse(SAMPLE).unwrap();
        let tasks: Vec<Task> = m.tasks().collect();
        assert_eq!(tasks.len(), 2);
        let console = tasks[0];
        assert_eq!((console.name, console.file, console.provides, console.line), ("console", "console.wasm", Some("console"), 2));
        assert!(console.boot && console.has_device("serial") && console.reach.is_empty());
        assert_eq!(console.ipc, Ipc::Auto);
        let client = m.task("client").unwrap();
        assert_eq!(client.reach.iter().collect::<Vec<_>>(), ["console", "other"]);
        assert!(client.may_reach("other") && !client.may_reach("oth") && !client.may_reach(""));
        assert_eq!((client.args, client.boot, client.ipc), ("3 two words # not a comment", false, Ipc::Switch));
        assert!(!client.has_device("serial"));
        assert_eq!(m.provider("console").map(|t| t.name), Some("console"));
        assert_eq!(m.provider("other"), None);
        assert_eq!(Manifest::parse("").unwrap().tasks().count(), 0);
        assert_eq!(Manifest::parse("# only\n\n").unwrap().tasks().count(), 0);
    }

    fn error(text: &str) -> (usize, ErrorKind) {
        let e = Manifest::parse(text).unwrap_err();
        (e.line, e.kind)
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(error("file = a.wasm\n"), (1, ErrorKind::OutsideTask));
        assert_eq!(error("[a]\nfile a.wasm\n"), (2, ErrorKind::Syntax));
        assert_eq!(error("[a]\nfile = a.wasm\nowner = me\n"), (3, ErrorKind::UnknownKey));
        assert_eq!(error("[a]\nfile = a.wasm\nfile = b.wasm\n"), (3, ErrorKind::DuplicateKey));
        assert_eq!(error("[a]\nboot = yes\n[b]\nfile = b.wasm\n"), (1, ErrorKind::MissingFile));
        assert_eq!(error("[a b]\nfile = a.wasm\n"), (1, ErrorKind::BadName));
        assert_eq!(error("[]\nfile = a.wasm\n"), (1, ErrorKind::BadName));
        assert_eq!(error("[a]\nfile = a b.wasm\n"), (2, ErrorKind::BadFileName));
        assert_eq!(error("[a]\nfile =\n"), (2, ErrorKind::BadFileName));
        assert_eq!(error("[a]\nfile = a\nprovides = x y\n"), (3, ErrorKind::BadName));
        assert_eq!(error(&format!("[a]\nfile = a\nprovides = {}\n", "x".repeat(33))), (3, ErrorKind::BadName));
        assert_eq!(error("[a]\nfile = a\nreach = ok, b@d\n"), (3, ErrorKind::BadName));
        assert_eq!(error("[a]\nfile = a\nboot = true\n"), (3, ErrorKind::BadValue));
        assert_eq!(error("[a]\nfile = a\nipc = direct\n"), (3, ErrorKind::BadValue));
        assert_eq!(error("[a]\nfile = a\ndevice = serial, disk\n"), (3, ErrorKind::BadValue));
        assert_eq!(error("[a]\nfile = a\n[a]\nfile = b\n"), (3, ErrorKind::DuplicateTask));
        for bad in ["memory = 100K", "memory = 8G", "memory = -64K", "memory = 64KB", "memory = K", "memory = 99999999999999999999G"] {
            assert_eq!(error(&format!("[a]\nfile = a\n{bad}\n")), (3, ErrorKind::BadLimit), "{bad}");
        }
        for bad in ["tables = 10000001", "tables = 1.5", "stack = 64K", "stack = 65M", "stack = 130000"] {
            assert_eq!(error(&format!("[a]\nfile = a\n{bad}\n")), (3, ErrorKind::BadLimit), "{bad}");
        }
        assert_eq!(error("[a]\nfile = a\nmemory = 1M\nmemory = 2M\n"), (4, ErrorKind::DuplicateKey));
        assert_eq!(error("[a]\nfile = a\nprovides = s\n[b]\nfile = a\nprovides = s\n"), (4, ErrorKind::DuplicateService));
    }

    #[test]
    fn reads_limits() {
        let m = Manifest::parse("[a]\nfile = a\nmemory = 16M\ntables = 2k\nstack = 256K\n[b]\nfile = b\nmemory = 0\nmemory_x = 1\n");
        assert_eq!(m.unwrap_err(), Error { line: 9, kind: ErrorKind::UnknownKey });
        let m = Manifest::parse("[a]\nfile = a\nmemory = 16M\ntables = 2k\nstack = 256K\n[b]\nfile = b\nmemory = 4G\ntables=0\n").unwrap();
        let a = m.task("a").unwrap();
        assert_eq!((a.memory, a.tables, a.stack), (Some(16 << 20), Some(2048), Some(256 << 10)));
        let b = m.task("b").unwrap();
        assert_eq!((b.memory, b.tables, b.stack), (Some(4 << 30), Some(0), None));
        assert_eq!(Manifest::parse(SAMPLE).unwrap().task("client").unwrap().memory, None);
    }

    #[test]
    fn reads_files_and_tasks_grants() {
        let m = Manifest::parse("[http]\nfile = http.wasm\nfiles = www/, docs/\ntasks = yes\n[other]\nfile = o.wasm\n").unwrap();
        let http = m.task("http").unwrap();
        assert!(http.tasks && http.may_read("www/big.bin") && http.may_read("docs/a") && !http.may_read("manifest"));
        let other = m.task("other").unwrap();
        assert!(!other.tasks && !other.may_read("www/big.bin"));
        assert_eq!(error("[a]\nfile = a\ntasks = maybe\n"), (3, ErrorKind::BadValue));
    }

    #[test]
    fn same_file_twice_is_fine() {
        let m = Manifest::parse("[a]\nfile = s.wasm\nprovides = a\n[b]\nfile = s.wasm\nprovides = b\n").unwrap();
        assert_eq!(m.tasks().map(|t| t.file).collect::<Vec<_>>(), ["s.wasm", "s.wasm"]);
    }

    #[test]
    fn boot_if_a_device() {
        let m = Manifest::parse("[net]\nfile = n.wasm\nboot = if virtio-net\n[b]\nfile = b.wasm\nboot = yes\n").unwrap();
        let net = m.task("net").unwrap();
        assert_eq!((net.boot, net.boot_if), (true, Some("virtio-net")));
        assert_eq!(net.boot_word().to_string(), "if:virtio-net");
        assert_eq!(m.task("b").unwrap().boot_if, None);
        assert_eq!(error("[a]\nfile = a\nboot = if floppy\n"), (3, ErrorKind::BadValue));
        assert_eq!(error("[a]\nfile = a\nboot = if\n"), (3, ErrorKind::BadValue));
    }

    #[test]
    fn error_display() {
        let e = Manifest::parse("[a]\nfile = a\nboot = maybe\n").unwrap_err();
        assert_eq!(e.to_string(), "manifest line 3: bad value (boot: yes|no|if DEVICE, tasks: yes|no, ipc: auto|switch, device: serial|virtio-net)");
    }
}
