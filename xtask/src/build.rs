//! `cargo xtask build`: kernel ELF → ramdisk (programs, plus any `--program`) → UEFI disk image.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::options::Options;
use crate::{Failure, cargo, extra, programs, www};

/// The kernel's target triple.
const KERNEL_TARGET: &str = "x86_64-unknown-none";

/// `README.txt` of the ramdisk.
const RAMDISK_README: &str = "\
Hayabusa boot ramdisk: a HAYARD01 archive of named files (see docs/ramdisk.md).
`manifest` lists the tasks the kernel can start from the `.wasm` modules (see docs/abi.md).
";

/// What a build produced.
pub struct Built {
    /// The bootable disk image.
    pub image: PathBuf,
    /// `target/hayabusa`: images, OVMF variable stores, the KVM probe cache.
    pub work_dir: PathBuf,
    /// Modules of `programs/manifest` left out because their tools are missing (their tasks are
    /// dropped from the packed manifest).
    pub skipped: Vec<&'static str>,
}

pub fn main(args: &[String]) -> Result<ExitCode, Failure> {
    let options = Options::parse(args, &["--program", "--manifest"])?;
    let built = build(&options, Variant::Run)?;
    println!("{}", built.image.display());
    Ok(ExitCode::SUCCESS)
}

/// Which kernel to build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// The kernel users run.
    Run,
    /// With the `test-hooks` feature (deliberate faults), for the boot tests.
    Test,
    /// With the `ipc-steps` feature (rdtsc checkpoints along the IPC direct path), for
    /// `bench ipc --steps`.
    Steps,
    /// The kernel users run, its ramdisk also carrying spec scripts (`spectest --kernel`).
    Spectest,
}

impl Variant {
    fn name(self) -> &'static str {
        match self {
            Variant::Run => "run",
            Variant::Test => "test",
            Variant::Steps => "steps",
            Variant::Spectest => "spectest",
        }
    }

    fn feature(self) -> Option<&'static str> {
        match self {
            Variant::Run | Variant::Spectest => None,
            Variant::Test => Some("test-hooks"),
            Variant::Steps => Some("ipc-steps"),
        }
    }
}

/// Builds the kernel `variant`, packs the ramdisk (with the options' `--program`s and
/// `--manifest`s) and writes `target/hayabusa/<profile>/hayabusa-<variant>.img`.
pub fn build(options: &Options, variant: Variant) -> Result<Built, Failure> {
    build_with(options, variant, &[])
}

/// [`build`], the ramdisk also carrying `files` (`(name, bytes)`).
pub fn build_with(options: &Options, variant: Variant, files: &[(String, Vec<u8>)]) -> Result<Built, Failure> {
    // The extra programs are checked first: a usage error should not wait for a kernel build.
    let base_manifest = programs::manifest()?;
    let extras = extra::load(&options.programs, &options.manifests, &base_manifest)?;
    let mut command = cargo::command();
    command.args(["build", "-p", "hayabusa-kernel", "--bin", "hayabusa-kernel", "--target", KERNEL_TARGET]);
    if options.release {
        command.arg("--release");
    }
    if let Some(feature) = variant.feature() {
        command.args(["--features", feature]);
    }
    cargo::run(command, "building the kernel")?;

    let target = cargo::target_dir()?;
    let kernel_elf = target.join(KERNEL_TARGET).join(options.profile()).join("hayabusa-kernel");
    let work_dir = target.join("hayabusa");
    let out_dir = work_dir.join(options.profile());
    let variant = variant.name();
    let ramdisk = out_dir.join(format!("ramdisk-{variant}.bin"));
    let skipped = pack_ramdisk(&base_manifest, &extras, files, &ramdisk)?;
    // Debug info (tens of MiB with Cranelift) is useless to the kernel and slow to load; the
    // symbol table, which fault reports use, stays.
    let kernel = out_dir.join(format!("hayabusa-kernel-{variant}.elf"));
    cargo::strip_debug_info(&kernel_elf, &kernel)?;
    let image = out_dir.join(format!("hayabusa-{variant}.img"));
    hayabusa_boot::build_image(&kernel, &ramdisk, &image)?;
    let size = |path: &PathBuf| std::fs::metadata(path).map_or(0, |m| m.len()).div_ceil(1024);
    eprintln!(
        "xtask: built {} ({} KiB; kernel ELF {} KiB, ramdisk {} KiB)",
        image.display(),
        size(&image),
        size(&kernel),
        size(&ramdisk)
    );
    Ok(Built { image, work_dir, skipped })
}

/// Packs the ramdisk alone (the programs, plus the options' `--program`s and `--manifest`s) into
/// `target/hayabusa/<profile>/ramdisk-<name>.bin`, for the hosted runner; its path.
pub fn ramdisk(options: &Options, name: &str) -> Result<PathBuf, Failure> {
    let base_manifest = programs::manifest()?;
    let extras = extra::load(&options.programs, &options.manifests, &base_manifest)?;
    let ramdisk = cargo::target_dir()?.join("hayabusa").join(options.profile()).join(format!("ramdisk-{name}.bin"));
    pack_ramdisk(&base_manifest, &extras, &[], &ramdisk)?;
    Ok(ramdisk)
}

/// Builds the programs and writes the ramdisk archive, with `more` files, to `path`; the modules
/// left out.
fn pack_ramdisk(base_manifest: &str, extras: &extra::Extras, more: &[(String, Vec<u8>)], path: &Path) -> Result<Vec<&'static str>, Failure> {
    let dir = path.parent().expect("a file in target/hayabusa");
    std::fs::create_dir_all(dir).map_err(|e| Failure::Error(format!("creating {}: {e}", dir.display())))?;
    let programs = programs::build(&cargo::target_dir()?, base_manifest)?;
    let manifest = programs.manifest + &extras.manifest;
    let mut files: Vec<(&str, &[u8])> = vec![("README.txt", RAMDISK_README.as_bytes()), ("manifest", manifest.as_bytes())];
    let modules = programs.modules.iter().chain(&extras.files);
    files.extend(modules.map(|(name, bytes)| (name.as_str(), bytes.as_slice())));
    let www = www::files()?;
    files.extend(www.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())));
    files.extend(more.iter().map(|(name, bytes)| (name.as_str(), bytes.as_slice())));
    hayabusa_boot::write_ramdisk(&files, path)?;
    Ok(programs.skipped)
}
