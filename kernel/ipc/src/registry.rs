//! Service names: which live task answers to which name. A name is registered by the task whose
//! manifest entry `provides` it, is freed when that task dies, and can then be registered again
//! by a restarted instance.
use alloc::collections::BTreeMap;
use alloc::string::String;

use hayabusa_abi::Error;

use super::TaskId;

#[derive(Default)]
pub struct Registry {
    by_name: BTreeMap<String, TaskId>,
}

impl Registry {
    pub const fn new() -> Self {
        Self { by_name: BTreeMap::new() }
    }

    /// Registers `task` under `name`. `allowed` says whether its manifest `provides` the name.
    /// Registering a name one already holds is fine; a name another live task holds is `BUSY`.
    pub fn register(&mut self, task: TaskId, name: &str, allowed: bool) -> Result<(), Error> {
        if !allowed {
            return Err(Error::Denied);
        }
        match self.by_name.get(name) {
            Some(&holder) if holder != task => Err(Error::Busy),
            _ => {
                self.by_name.insert(String::from(name), task);
                Ok(())
            }
        }
    }

    /// The task registered under `name`.
    pub fn lookup(&self, name: &str) -> Result<TaskId, Error> {
        self.by_name.get(name).copied().ok_or(Error::NotFound)
    }

    /// The names `task` holds.
    pub fn names_of(&self, task: TaskId) -> impl Iterator<Item = &str> {
        self.by_name.iter().filter(move |(_, t)| **t == task).map(|(n, _)| n.as_str())
    }

    /// Frees every name `task` held (it died).
    pub fn task_died(&mut self, task: TaskId) {
        self.by_name.retain(|_, t| *t != task);
    }

    /// Every registration, by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, TaskId)> {
        self.by_name.iter().map(|(n, t)| (n.as_str(), *t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn register_lookup_die_and_register_again() {
        let mut r = Registry::new();
        assert_eq!(r.lookup("console"), Err(Error::NotFound));
        assert_eq!(r.register(2, "console", false), Err(Error::Denied));
        r.register(2, "console", true).unwrap();
        r.register(2, "console", true).unwrap();
        assert_eq!(r.register(3, "console", true), Err(Error::Busy));
        assert_eq!(r.lookup("console"), Ok(2));
        assert_eq!(r.names_of(2).collect::<Vec<_>>(), ["console"]);
        r.task_died(2);
        assert_eq!(r.lookup("console"), Err(Error::NotFound));
        r.register(7, "console", true).unwrap();
        assert_eq!(r.lookup("console"), Ok(7), "a restarted server is reached again");
        assert_eq!(r.iter().collect::<Vec<_>>(), [("console", 7)]);
    }
}
