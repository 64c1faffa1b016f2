//! Damaged archives: each is rejected with the right error, and nothing ever panics.

use hayabusa_ramdisk::{pack, Archive, Error};

fn sample() -> Vec<u8> {
    pack(&[("README.txt", b"Hayabusa ramdisk\n"), ("manifest", b"# none yet\n"), ("z", b"zz")]).unwrap()
}

fn put_u32(bytes: &mut [u8], offset: usize, value: u32) {
    bytes[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
}

#[test]
fn truncated_header_and_table() {
    let bytes = sample();
    assert_eq!(Archive::parse(&bytes[..10]).unwrap_err(), Error::Truncated { len: 10, needed: 16 });
    assert_eq!(Archive::parse(&bytes[..40]).unwrap_err(), Error::Truncated { len: 40, needed: 64 });
    assert_eq!(Archive::parse(&[]).unwrap_err(), Error::Truncated { len: 0, needed: 16 });
}

#[test]
fn truncated_data() {
    let bytes = sample();
    let err = Archive::parse(&bytes[..bytes.len() - 16]).unwrap_err();
    assert!(matches!(err, Error::DataOutOfBounds { index: 2, offset: 48 }), "{err:?}");
}

#[test]
fn bad_magic_and_version() {
    let mut bytes = sample();
    bytes[0] = b'X';
    assert_eq!(Archive::parse(&bytes).unwrap_err(), Error::BadMagic);
    let mut bytes = sample();
    put_u32(&mut bytes, 8, 2);
    assert_eq!(Archive::parse(&bytes).unwrap_err(), Error::UnsupportedVersion { version: 2 });
}

#[test]
fn huge_count_is_truncation_not_overflow() {
    let mut bytes = sample();
    put_u32(&mut bytes, 12, u32::MAX);
    assert!(matches!(Archive::parse(&bytes), Err(Error::Truncated { .. })));
}

#[test]
fn out_of_range_offsets() {
    let mut bytes = sample();
    put_u32(&mut bytes, 16, u32::MAX - 1); // name offset of entry 0: offset + len overflows u32
    assert_eq!(Archive::parse(&bytes).unwrap_err(), Error::NameOutOfBounds { index: 0, offset: 16 });
    let mut bytes = sample();
    put_u32(&mut bytes, 32 + 12, 1 << 20); // data length of entry 1
    assert_eq!(Archive::parse(&bytes).unwrap_err(), Error::DataOutOfBounds { index: 1, offset: 32 });
}

#[test]
fn misaligned_data_empty_names_and_order() {
    let mut bytes = sample();
    put_u32(&mut bytes, 16 + 8, 65); // data offset of entry 0
    assert!(matches!(Archive::parse(&bytes), Err(Error::MisalignedData { index: 0, .. })));
    let mut bytes = sample();
    put_u32(&mut bytes, 16 + 4, 0); // name length of entry 0
    assert!(matches!(Archive::parse(&bytes), Err(Error::EmptyName { index: 0, .. })));
    let mut bytes = sample();
    bytes[64] = 0xff; // first byte of the first name
    assert!(matches!(Archive::parse(&bytes), Err(Error::BadName { index: 0, offset: 64 })));
    let mut bytes = sample();
    bytes[16..32].copy_from_slice(&sample()[32..48]); // entry 0 := entry 1
    assert!(matches!(Archive::parse(&bytes), Err(Error::DuplicateName { index: 1, .. })));
    let mut bytes = sample();
    bytes[16..32].copy_from_slice(&sample()[48..64]); // entry 0 := entry 2 ("z" first)
    assert!(matches!(Archive::parse(&bytes), Err(Error::Unsorted { index: 1, .. })));
}

#[test]
fn overlapping_ranges_are_fine() {
    let mut bytes = sample();
    let entry1_data = bytes[32 + 8..32 + 12].to_vec();
    bytes[16 + 8..16 + 12].copy_from_slice(&entry1_data); // entry 0 shares entry 1's data
    let archive = Archive::parse(&bytes).unwrap();
    assert_eq!(archive.get("README.txt").unwrap().as_ptr(), archive.get("manifest").unwrap().as_ptr());
}

#[test]
fn errors_name_the_offset() {
    let text = Error::DataOutOfBounds { index: 1, offset: 32 }.to_string();
    assert!(text.contains("entry 1") && text.contains("byte offset 32"), "{text}");
    assert!(Error::BadMagic.to_string().contains("byte offset 0"));
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Parses, and if that succeeds, touches every entry and lookup: none of it may panic.
fn exercise(bytes: &[u8]) {
    if let Ok(archive) = Archive::parse(bytes) {
        for entry in &archive {
            assert_eq!(archive.get(entry.name), Some(entry.data));
        }
    }
}

#[test]
fn random_truncations_and_flips_never_panic() {
    let original = sample();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for len in 0..=original.len() {
        exercise(&original[..len]);
    }
    for _ in 0..20_000 {
        let mut bytes = original.clone();
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(bytes.len());
            match rng.below(3) {
                0 => bytes[at] ^= 1 << rng.below(8),
                1 => bytes[at] = rng.next() as u8,
                _ => bytes[at] = [0x00, 0xff, 0x7f, 0x80][rng.below(4)],
            }
        }
        bytes.truncate(bytes.len() - rng.below(8));
        exercise(&bytes);
    }
    for _ in 0..2_000 {
        let noise: Vec<u8> = (0..rng.below(200)).map(|_| rng.next() as u8).collect();
        let mut bytes = b"HAYARD01\x01\0\0\0".to_vec();
        bytes.extend_from_slice(&noise);
        exercise(&bytes);
    }
}
