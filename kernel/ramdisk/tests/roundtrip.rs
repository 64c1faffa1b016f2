//! Packing and reading back: contents, order, lookups and the packer's name rules.

use hayabusa_ramdisk::{pack, Archive, Error, DATA_ALIGN, MAX_NAME_LEN};

#[test]
fn round_trip_keeps_every_file() {
    let big = vec![0xa5u8; 10_000];
    let files: [(&str, &[u8]); 4] =
        [("manifest", b"hello\n"), ("README.txt", b"readme"), ("empty", b""), ("dir/big.wasm", &big)];
    let bytes = pack(&files).unwrap();
    let archive = Archive::parse(&bytes).unwrap();
    assert_eq!(archive.len(), 4);
    assert!(!archive.is_empty());
    for (name, data) in files {
        assert_eq!(archive.get(name), Some(data), "{name}");
    }
    assert_eq!(archive.get("missing"), None);
    assert_eq!(archive.get(""), None);
}

#[test]
fn entries_come_sorted_and_aligned() {
    let bytes = pack(&[("b", b"2"), ("a", b"1"), ("c", b"333")]).unwrap();
    let archive = Archive::parse(&bytes).unwrap();
    let names: Vec<&str> = archive.iter().map(|e| e.name).collect();
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(archive.iter().len(), 3);
    for entry in &archive {
        let offset = entry.data.as_ptr() as usize - bytes.as_ptr() as usize;
        assert_eq!(offset % DATA_ALIGN, 0, "{}", entry.name);
    }
    assert_eq!(bytes.len() % DATA_ALIGN, 0);
}

#[test]
fn empty_archive() {
    let bytes = pack(&[]).unwrap();
    assert_eq!(bytes.len(), 16);
    let archive = Archive::parse(&bytes).unwrap();
    assert!(archive.is_empty());
    assert_eq!(archive.iter().next(), None);
    assert_eq!(archive.get("x"), None);
}

#[test]
fn packer_rejects_bad_names() {
    assert_eq!(pack(&[("a", b""), ("", b"")]), Err(Error::EmptyName { index: 1, offset: 0 }));
    assert_eq!(pack(&[("a", b"1"), ("a", b"2")]), Err(Error::DuplicateName { index: 1, offset: 0 }));
    let long = "x".repeat(MAX_NAME_LEN + 1);
    assert!(matches!(pack(&[(&long, b"")]), Err(Error::NameTooLong { index: 0, .. })));
    assert!(pack(&[(&long[1..], b"")]).is_ok());
    assert_eq!(pack(&[("a\0b", b"")]), Err(Error::BadName { index: 0, offset: 0 }));
}

#[test]
fn many_files_binary_search() {
    let names: Vec<String> = (0..300).map(|i| format!("module-{i:03}.wasm")).collect();
    let datas: Vec<Vec<u8>> = (0..300u32).map(|i| i.to_le_bytes().repeat(i as usize % 7)).collect();
    let files: Vec<(&str, &[u8])> = names.iter().zip(&datas).map(|(n, d)| (n.as_str(), d.as_slice())).collect();
    let bytes = pack(&files).unwrap();
    let archive = Archive::parse(&bytes).unwrap();
    for (name, data) in &files {
        assert_eq!(archive.get(name), Some(*data));
    }
    assert_eq!(archive.get("module-300.wasm"), None);
}
