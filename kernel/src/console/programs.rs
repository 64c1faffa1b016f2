//! The `programs` console command: the tasks the manifest lists, their module files, what they
//! provide and may reach, and whether each module validates.
use super::commands::Outcome;
use crate::{kprintln, programs};

pub fn run(_: &[&str]) -> Outcome {
    let Some(manifest) = programs::manifest() else {
        kprintln!("programs: no valid manifest in the ramdisk");
        return Outcome::Continue;
    };
    kprintln!("{:<16} {:<22} {:>7}  {:<16} {:<5} {:<6} {:<32} MODULE", "TASK", "FILE", "BYTES", "PROVIDES", "BOOT", "IPC", "REACH");
    for task in manifest.tasks() {
        let module = programs::module(&task);
        let status = match module {
            None => alloc::string::String::from("missing"),
            Some(bytes) => match hayabusa_compiler::validate::validate(bytes) {
                Ok(()) => alloc::string::String::from("valid"),
                Err(e) => alloc::format!("invalid: {e}"),
            },
        };
        let reach: alloc::vec::Vec<&str> = task.reach.iter().collect();
        kprintln!(
            "{:<16} {:<22} {:>7}  {:<16} {:<5} {:<6} {:<32} {}",
            task.name,
            task.file,
            module.map_or(0, <[u8]>::len),
            task.provides.unwrap_or("-"),
            task.boot_word(),
            match task.ipc {
                hayabusa_manifest::Ipc::Auto => "auto",
                hayabusa_manifest::Ipc::Switch => "switch",
            },
            if reach.is_empty() { alloc::string::String::from("-") } else { reach.join(",") },
            status
        );
    }
    Outcome::Continue
}
