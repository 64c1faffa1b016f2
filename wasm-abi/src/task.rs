//! Task ids: positive numbers; 1 is the kernel.

use crate::Error;

/// A task, as `ipc_call`, `ipc_recv` and `ipc_reply` name it. Always `> 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(i32);

impl TaskId {
    /// The kernel, reachable without lookup (see [`crate::kernel`]).
    pub const KERNEL: TaskId = TaskId(1);

    /// `Some` for a valid id (`> 0`).
    pub const fn new(id: i32) -> Option<TaskId> {
        if id > 0 { Some(TaskId(id)) } else { None }
    }

    /// The wire value.
    pub const fn get(self) -> i32 {
        self.0
    }

    /// Interprets a call's return value as a task id: errors stay errors, and `0`, which the ABI
    /// never returns as an id, is [`Error::Unknown`].
    pub fn from_return(code: i32) -> Result<TaskId, Error> {
        let id = crate::decode(code)?;
        TaskId::new(id).ok_or(Error::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        assert_eq!(TaskId::new(0), None);
        assert_eq!(TaskId::new(-3), None);
        assert_eq!(TaskId::new(2).map(TaskId::get), Some(2));
        assert_eq!(TaskId::from_return(5), Ok(TaskId(5)));
        assert_eq!(TaskId::from_return(-5), Err(Error::Denied));
        assert_eq!(TaskId::from_return(0), Err(Error::Unknown));
    }
}
