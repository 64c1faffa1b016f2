//! A map keyed by task id, kept as a vector. The IPC state has an entry per blocked task or per
//! server with callers — a handful — and every `ipc_call` looks entries up, takes them out and
//! puts them back: a linear scan over a few pairs is cheaper than a tree, and nothing is
//! allocated once the vector has grown to its working size.
use alloc::vec::Vec;

use super::TaskId;

pub struct TaskMap<V> {
    entries: Vec<(TaskId, V)>,
}

impl<V> Default for TaskMap<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V> TaskMap<V> {
    pub const fn new() -> Self {
        Self { entries: Vec::new() }
    }

    fn position(&self, key: TaskId) -> Option<usize> {
        self.entries.iter().position(|(k, _)| *k == key)
    }

    pub fn get(&self, key: TaskId) -> Option<&V> {
        self.entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: TaskId) -> Option<&mut V> {
        self.entries.iter_mut().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    /// Sets `key` to `value`; returns the value it replaced.
    pub fn insert(&mut self, key: TaskId, value: V) -> Option<V> {
        match self.get_mut(key) {
            Some(slot) => Some(core::mem::replace(slot, value)),
            None => {
                self.entries.push((key, value));
                None
            }
        }
    }

    /// Takes `key` out (the order of the others may change).
    pub fn remove(&mut self, key: TaskId) -> Option<V> {
        let at = self.position(key)?;
        Some(self.entries.swap_remove(at).1)
    }

    /// The value of `key`, inserted as `V::default()` if absent.
    pub fn get_or_default(&mut self, key: TaskId) -> &mut V
    where
        V: Default,
    {
        let at = match self.position(key) {
            Some(at) => at,
            None => {
                self.entries.push((key, V::default()));
                self.entries.len() - 1
            }
        };
        &mut self.entries[at].1
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains_key(&self, key: TaskId) -> bool {
        self.position(key).is_some()
    }

    /// Every value, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (TaskId, &V)> {
        self.entries.iter().map(|(k, v)| (*k, v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    #[test]
    fn behaves_as_a_map() {
        let mut m: TaskMap<u32> = TaskMap::new();
        assert_eq!(m.get(3), None);
        assert_eq!(m.insert(3, 30), None);
        assert_eq!(m.insert(5, 50), None);
        assert_eq!(m.insert(3, 31), Some(30), "replaces");
        *m.get_mut(5).unwrap() += 1;
        assert_eq!((m.get(3), m.get(5)), (Some(&31), Some(&51)));
        *m.get_or_default(7) += 2;
        *m.get_or_default(7) += 2;
        assert_eq!(m.get(7), Some(&4));
        assert_eq!(m.remove(3), Some(31));
        assert_eq!(m.remove(3), None);
        let mut all: Vec<(TaskId, u32)> = m.iter().map(|(k, v)| (k, *v)).collect();
        all.sort();
        assert_eq!(all, vec![(5, 51), (7, 4)]);
    }
}
