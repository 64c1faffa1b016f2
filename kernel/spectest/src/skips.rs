//! Whether the skip list lets a directive's module need the feature the compiler refused it
//! for (used when lowering a module and when running `assert_invalid`).

use alloc::format;
use alloc::string::{String, ToString};
use hayabusa_compiler::Error;

/// The skip-list feature under which a directive whose allowance is `allowance` (its own entry,
/// or its file's) may meet the unsupported-feature error `err`, or the failure saying why not.
/// Marks the entry `used` either way when there is one: a wrong feature is a failure, not a
/// skip.
pub fn allowed(allowance: Option<&str>, err: &Error, used: &mut bool) -> Result<String, String> {
    let needs = match err.message.strip_prefix("unsupported feature ") {
        Some(n) if !n.starts_with("combination") => Some(n),
        _ => None,
    };
    let Some(allowed) = allowance else {
        return Err(format!("{err}, and the skip list does not list it"));
    };
    *used = true;
    if !needs.is_none_or(|n| feature_covers(allowed, n)) {
        return Err(format!("{err}, but the skip list names {allowed}"));
    }
    Ok(allowed.to_string())
}

/// Whether the skip list's feature `allowed` (`a` or `a+b+...`) covers what the compiler says
/// a module needs (`needs`, also possibly `a+b`). `gc` includes `function-references`, which it
/// builds on.
pub fn feature_covers(allowed: &str, needs: &str) -> bool {
    let allowed: alloc::vec::Vec<&str> = allowed.split('+').collect();
    needs.split('+').all(|n| allowed.contains(&n) || (n == "function-references" && allowed.contains(&"gc")))
}
