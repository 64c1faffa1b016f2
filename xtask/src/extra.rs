//! Programs from outside the tree: `--program FILE.wasm` (or `.wat`) packs a module into the
//! ramdisk as `STEM.wasm` with the entry `[STEM] reach = console, boot = no`; `--manifest FRAGMENT`
//! appends manifest sections, and a section named after a `--program` replaces its default entry.
//! Everything that can be checked without the kernel is checked here, before anything is built.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use hayabusa_manifest::Manifest;

use crate::Failure;

/// The manifest entry of a `--program` that no `--manifest` section names.
fn default_entry(name: &str) -> String {
    format!("[{name}]\nfile = {name}.wasm\nreach = console\nboot = no\n")
}

/// What the extra programs add to the ramdisk.
#[derive(Debug, Default)]
pub struct Extras {
    /// `(ramdisk file name, bytes)`: `STEM.wasm` for each `--program`.
    pub files: Vec<(String, Vec<u8>)>,
    /// Sections to append to `programs/manifest`.
    pub manifest: String,
}

/// Reads `programs` and `fragments` and checks them against `base` (the text of
/// `programs/manifest`). Every problem is a usage error.
pub fn load(programs: &[PathBuf], fragments: &[PathBuf], base: &str) -> Result<Extras, Failure> {
    let mut files = Vec::new();
    let mut named = Vec::new();
    for path in programs {
        let (name, bytes) = read_program(path).map_err(|e| Failure::Usage(format!("--program {}: {e}", path.display())))?;
        files.push((format!("{name}.wasm"), bytes));
        named.push((path.display().to_string(), name));
    }
    let mut texts = Vec::new();
    for path in fragments {
        let text = std::fs::read_to_string(path).map_err(|e| Failure::Usage(format!("--manifest {}: {e}", path.display())))?;
        texts.push((path.display().to_string(), text));
    }
    let manifest = combine(base, &named, &texts).map_err(Failure::Usage)?;
    // Only a warning: the kernel validates again at `run` and must refuse such a module itself.
    for ((label, name), (_, bytes)) in named.iter().zip(&files) {
        if let Err(e) = hayabusa_compiler::validate::validate(bytes) {
            let e = e.to_string().split_whitespace().collect::<Vec<_>>().join(" ");
            eprintln!("xtask: warning: --program {label}: not a valid module ({e}); the kernel will refuse `run {name}`");
        }
    }
    Ok(Extras { files, manifest })
}

/// The task name (the file's stem) and bytes of a `--program` file.
fn read_program(path: &Path) -> Result<(String, Vec<u8>), String> {
    if !path.is_file() {
        return Err("no such file".into());
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    if !hayabusa_manifest::valid_name(stem) {
        return Err(format!("`{stem}` is not a task name (1-32 bytes of a-z A-Z 0-9 - _ .); rename the file"));
    }
    let bytes = match path.extension().and_then(|e| e.to_str()) {
        Some("wasm") => std::fs::read(path).map_err(|e| e.to_string())?,
        Some("wat") => wat::parse_file(path).map_err(|e| e.to_string())?,
        _ => return Err("expected a .wasm or .wat file".into()),
    };
    Ok((stem.to_string(), bytes))
}

/// The manifest text that `programs` (`(label, task name)`) and `fragments` (`(label, text)`) add
/// to `base`, or what is wrong with them.
fn combine(base: &str, programs: &[(String, String)], fragments: &[(String, String)]) -> Result<String, String> {
    let base_manifest = Manifest::parse(base).map_err(|e| format!("programs/manifest: {e}"))?;
    let base_tasks: BTreeSet<&str> = base_manifest.tasks().map(|t| t.name).collect();
    let mut files: BTreeSet<String> = ["README.txt", "manifest"].into_iter().map(String::from).collect();
    files.extend(base_manifest.tasks().map(|t| t.file.to_string()));
    let mut added = BTreeSet::new();
    for (label, name) in programs {
        let file = format!("{name}.wasm");
        if base_tasks.contains(name.as_str()) {
            return Err(format!("--program {label}: `{name}` is already a task of programs/manifest; rename the file"));
        }
        if !added.insert(name.as_str()) {
            return Err(format!("--program {label}: a program named `{name}` was given before"));
        }
        if !files.insert(file.clone()) {
            return Err(format!("--program {label}: the ramdisk already has {file}; rename the file"));
        }
    }

    let mut text = String::new();
    let mut sections = BTreeSet::new();
    for (label, fragment) in fragments {
        let parsed = Manifest::parse(fragment).map_err(|e| format!("--manifest {label}: {e}"))?;
        for task in parsed.tasks() {
            let at = format!("--manifest {label}: task `{}` (line {})", task.name, task.line);
            if base_tasks.contains(task.name) {
                return Err(format!("{at} is already a task of programs/manifest"));
            }
            if !sections.insert(task.name.to_string()) {
                return Err(format!("{at} is also in an earlier --manifest"));
            }
            if !files.contains(task.file) {
                return Err(format!("{at}: file {} is not in the ramdisk (add it with --program)", task.file));
            }
        }
        text.push_str(&format!("\n# --manifest {label}\n{fragment}"));
        if !fragment.ends_with('\n') {
            text.push('\n');
        }
    }
    for (label, name) in programs.iter().filter(|(_, name)| !sections.contains(name)) {
        text.push_str(&format!("\n# --program {label}\n{}", default_entry(name)));
    }

    let mut combined = base.to_string();
    if !combined.ends_with('\n') {
        combined.push('\n');
    }
    combined.push_str(&text);
    if let Err(e) = Manifest::parse(&combined) {
        let line = combined.lines().nth(e.line.saturating_sub(1)).unwrap_or_default().trim();
        return Err(format!("programs/manifest with the added entries: {e} (at `{line}`)"));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "[console]\nfile = console.wasm\nprovides = console\n[hello]\nfile = hello.wasm\n";

    fn program(name: &str) -> (String, String) {
        (format!("dir/{name}.wasm"), name.to_string())
    }

    fn fragment(text: &str) -> (String, String) {
        ("extra.manifest".to_string(), text.to_string())
    }

    fn manifest_of(programs: &[(String, String)], fragments: &[(String, String)]) -> String {
        let text = combine(BASE, programs, fragments).unwrap();
        format!("{BASE}{text}")
    }

    #[test]
    fn a_program_gets_the_default_entry() {
        let text = manifest_of(&[program("greet")], &[]);
        let manifest = Manifest::parse(&text).unwrap();
        let task = manifest.task("greet").unwrap();
        assert_eq!(task.file, "greet.wasm");
        assert_eq!(task.reach.iter().collect::<Vec<_>>(), ["console"]);
        assert!(!task.boot && task.provides.is_none() && task.args.is_empty());
    }

    #[test]
    fn a_fragment_section_replaces_the_default_entry() {
        let frag = fragment("[greet]\nfile = greet.wasm\nreach = console, pingpong\nargs = a b\n[again]\nfile = hello.wasm\n");
        let text = manifest_of(&[program("greet"), program("other")], &[frag]);
        let manifest = Manifest::parse(&text).unwrap();
        let greet = manifest.task("greet").unwrap();
        assert_eq!((greet.reach.iter().collect::<Vec<_>>(), greet.args), (vec!["console", "pingpong"], "a b"));
        assert_eq!(manifest.task("again").unwrap().file, "hello.wasm", "a fragment may reuse a shipped module");
        assert_eq!(manifest.task("other").unwrap().reach.iter().collect::<Vec<_>>(), ["console"]);
        assert_eq!(text.matches("[greet]").count(), 1);
    }

    #[test]
    fn clashes_and_bad_fragments_are_refused() {
        let err = |programs: &[(String, String)], fragments: &[(String, String)]| combine(BASE, programs, fragments).unwrap_err();
        assert!(err(&[program("hello")], &[]).contains("`hello` is already a task of programs/manifest"));
        assert!(err(&[program("g"), program("g")], &[]).contains("a program named `g` was given before"));
        assert!(err(&[program("console")], &[]).contains("already a task"));
        let frag = |text: &str| err(&[program("g")], &[fragment(text)]);
        assert!(frag("[hello]\nfile = g.wasm\n").contains("task `hello` (line 1) is already a task of programs/manifest"));
        assert!(frag("[x]\nfile = nowhere.wasm\n").contains("file nowhere.wasm is not in the ramdisk"));
        assert!(frag("[x]\nfile = g.wasm\nboot = maybe\n").contains("extra.manifest: manifest line 3: bad value"));
        let service = frag("[x]\nfile = g.wasm\nprovides = console\n");
        assert!(service.contains("service provided by two tasks (at `[x]`)"), "{service}");
        let twice = err(&[program("g")], &[fragment("[x]\nfile = g.wasm\n"), fragment("[x]\nfile = g.wasm\n")]);
        assert!(twice.contains("also in an earlier --manifest"), "{twice}");
    }

    #[test]
    fn a_file_name_already_in_the_ramdisk_is_refused() {
        // `console` is a task and `console.wasm` a file; a program named like a file but no task:
        let base = "[c]\nfile = console.wasm\n";
        let e = combine(base, &[program("console")], &[]).unwrap_err();
        assert!(e.contains("the ramdisk already has console.wasm"), "{e}");
    }

    #[test]
    fn program_files_are_checked() {
        let dir = std::env::temp_dir().join(format!("xtask-extra-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let wat = dir.join("tiny.wat");
        std::fs::write(&wat, "(module (func (export \"_start\")))").unwrap();
        let (name, bytes) = read_program(&wat).unwrap();
        assert_eq!(name, "tiny");
        assert!(bytes.starts_with(b"\0asm"));
        let bad_name = dir.join("no spaces.wasm");
        std::fs::write(&bad_name, b"\0asm").unwrap();
        assert!(read_program(&bad_name).unwrap_err().contains("is not a task name"));
        let text = dir.join("notes.txt");
        std::fs::write(&text, "x").unwrap();
        assert!(read_program(&text).unwrap_err().contains("expected a .wasm or .wat file"));
        assert_eq!(read_program(&dir.join("absent.wasm")).unwrap_err(), "no such file");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
