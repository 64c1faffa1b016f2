//! The static files packed into the ramdisk for the web server: every file of `programs/www/`
//! as `www/NAME`, and `www/big.bin`, a deterministic pseudo-random file of [`BIG_LEN`] bytes
//! (generated here rather than kept in git) that the tests fetch byte-exact.
use crate::{Failure, programs};

/// Length of `www/big.bin`: over 1 MiB, and not a multiple of any chunk size.
pub const BIG_LEN: usize = (1 << 20) + 12_345;

/// `www/big.bin`'s bytes: xorshift64 from a fixed seed, 8 bytes per step.
fn big() -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::with_capacity(BIG_LEN + 8);
    while out.len() < BIG_LEN {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(BIG_LEN);
    out
}

/// `(ramdisk name, bytes)` of the static files.
pub fn files() -> Result<Vec<(String, Vec<u8>)>, Failure> {
    let dir = programs::root().join("programs/www");
    let mut files = vec![("www/big.bin".to_string(), big())];
    let entries = std::fs::read_dir(&dir).map_err(|e| Failure::Error(format!("reading {}: {e}", dir.display())))?;
    for entry in entries {
        let entry = entry.map_err(|e| Failure::Error(format!("reading {}: {e}", dir.display())))?;
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            let bytes = std::fs::read(entry.path()).map_err(|e| Failure::Error(format!("reading {}: {e}", entry.path().display())))?;
            files.push((format!("www/{}", entry.file_name().to_string_lossy()), bytes));
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    #[test]
    fn big_is_fixed() {
        let big = super::big();
        assert_eq!(big.len(), super::BIG_LEN);
        // The first xorshift64 step from the seed, as the tests' copy of the file starts.
        assert_eq!(big[..4], [173, 77, 243, 11]);
    }
}
