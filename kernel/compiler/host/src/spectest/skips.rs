//! The committed skip list: which files or directives may need an unsupported feature, and which.
//!
//! Format, one entry a line (`#` starts a comment):
//! `FILE[:LINE]  FEATURE  [free-text reason]`. A bare file lets its modules need FEATURE;
//! `FILE:LINE` names the directive starting on that line, which must fail for FEATURE. Nothing
//! listed is left unrun: the runner checks each entry against what really happens and reports
//! a stale one as a failure (see `runner.rs` and `run.rs`).

use std::collections::HashMap;

#[derive(Default, Debug)]
pub struct Skips {
    files: HashMap<String, String>,
    directives: HashMap<(String, usize), String>,
}

impl Skips {
    pub fn parse(text: &str) -> Result<Skips, String> {
        let mut s = Skips::default();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let mut parts = line.split_whitespace();
            let (Some(target), Some(feature)) = (parts.next(), parts.next()) else {
                return Err(format!("skip list line {}: expected `FILE[:LINE] FEATURE`", n + 1));
            };
            match target.split_once(':') {
                Some((file, l)) => {
                    let l: usize = l.parse().map_err(|_| format!("skip list line {}: bad line number", n + 1))?;
                    s.directives.insert((file.to_string(), l), feature.to_string());
                }
                None => {
                    s.files.insert(target.to_string(), feature.to_string());
                }
            }
        }
        Ok(s)
    }

    /// The feature a whole file is skipped for.
    pub fn file(&self, file: &str) -> Option<&str> {
        self.files.get(file).map(String::as_str)
    }

    /// The feature the directive at `line` of `file` is skipped for.
    pub fn directive(&self, file: &str, line: usize) -> Option<&str> {
        self.directives.get(&(file.to_string(), line)).map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.files.len() + self.directives.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
