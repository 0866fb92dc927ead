//! Handle tables: map opaque integer ids to shared objects.
//!
//! Invariants: ids are never reused (a monotonic counter; exhaustion is an error, not a wrap), id 0
//! is never issued, and the table lock is held only for the lookup itself: callers clone the `Arc`
//! and run compute with no table lock held.
//!
//! The map hashes with foldhash (already in the tree through hashbrown) instead of std's SipHash:
//! the ids are ours, not attacker-chosen keys (a guest can only name ids, and a lookup of any id
//! costs the same), so DoS-resistant hashing buys nothing on this per-call path.

use std::collections::HashMap;

use foldhash::fast::RandomState;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use parking_lot::RwLock;

use crate::core::error::{Error, Result, Status};

/// A source of never-reused ids, shared by the tables of one namespace so an id of one kind of
/// object is never a valid id of another kind.
#[derive(Debug)]
pub struct IdSource {
    next: AtomicU64,
    max: u64,
}

impl IdSource {
    /// Ids `1..=max`.
    pub const fn new(max: u64) -> Self {
        IdSource { next: AtomicU64::new(1), max }
    }
    fn next(&self) -> Result<u64> {
        // fetch_update so a failed allocation does not advance past max and wrap on retries.
        self.next
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| (n <= self.max).then_some(n + 1))
            .map_err(|_| Error::new(Status::Exhausted, "all handle ids have been used; ids are never reused"))
    }
}

/// A table of live objects of type `T`.
#[derive(Debug)]
pub struct HandleTable<T: ?Sized> {
    kind: &'static str,
    map: RwLock<HashMap<u64, Arc<T>, RandomState>>,
}

impl<T: ?Sized> HandleTable<T> {
    /// An empty table; `kind` names the objects in error messages.
    pub fn new(kind: &'static str) -> Self {
        HandleTable { kind, map: RwLock::new(HashMap::with_hasher(RandomState::default())) }
    }

    /// Publishes a fully built object and returns its new id.
    pub fn insert(&self, ids: &IdSource, value: Arc<T>) -> Result<u64> {
        let id = ids.next()?;
        self.map.write().insert(id, value);
        Ok(id)
    }

    /// As [`HandleTable::insert`], when `admit(live count)` allows one more (checked under the
    /// table's lock, so concurrent inserts never overshoot a limit).
    pub fn insert_admitted(&self, ids: &IdSource, value: Arc<T>, admit: impl FnOnce(usize) -> Result<()>) -> Result<u64> {
        let mut map = self.map.write();
        admit(map.len())?;
        let id = ids.next()?;
        map.insert(id, value);
        Ok(id)
    }

    /// Looks an id up.
    pub fn get(&self, id: u64) -> Result<Arc<T>> {
        self.map.read().get(&id).cloned().ok_or_else(|| self.unknown(id))
    }

    /// Removes an id; the object lives on while other `Arc`s (e.g. contexts) hold it.
    pub fn remove(&self, id: u64) -> Result<Arc<T>> {
        self.map.write().remove(&id).ok_or_else(|| self.unknown(id))
    }

    /// Number of live entries.
    pub fn len(&self) -> usize {
        self.map.read().len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn unknown(&self, id: u64) -> Error {
        Error::invalid(format!("unknown {} handle {id} (never issued, or already freed)", self.kind))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_never_reused_and_exhaust_cleanly() {
        let ids = IdSource::new(3);
        let t: HandleTable<u8> = HandleTable::new("test");
        let a = t.insert(&ids, Arc::new(1)).unwrap();
        t.remove(a).unwrap();
        assert!(t.get(a).is_err());
        assert!(t.remove(a).is_err());
        let b = t.insert(&ids, Arc::new(2)).unwrap();
        let c = t.insert(&ids, Arc::new(3)).unwrap();
        assert_eq!((a, b, c), (1, 2, 3));
        assert_eq!(t.insert(&ids, Arc::new(4)).unwrap_err().status, Status::Exhausted);
        assert_eq!(t.insert(&ids, Arc::new(4)).unwrap_err().status, Status::Exhausted);
        assert_eq!(t.len(), 2);
    }
}
