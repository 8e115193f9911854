//! The one helper ABI and the registry of helpers by id and by name.
//!
//! A helper receives the five argument registers `r1`–`r5` and returns the value for `r0`, like a
//! Linux helper. It also gets a [`HelperContext`] through which it reads and writes program memory
//! with the same bounds checks as the program itself.

use crate::memory::MemoryMap;
use crate::proto::Proto;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;

/// How a helper ends other than by returning a value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HelperStop {
    /// The helper failed: the run traps with [`TrapKind::HelperError`](crate::TrapKind).
    #[error("{0}")]
    Error(String),
    /// The helper ends the whole program successfully with this `r0` (as ubpf's "unwind" helper
    /// does).
    #[error("exit with {0:#x}")]
    Exit(u64),
}

/// What a helper returns: the new `r0`, or how the run stops.
pub type HelperResult = Result<u64, HelperStop>;

/// The signature of every helper.
pub type HelperFn = dyn Fn(&mut HelperContext<'_, '_>, [u64; 5]) -> HelperResult + Send + Sync;

/// What a helper can reach while it runs.
pub struct HelperContext<'m, 'a> {
    /// The program's memory regions; reads and writes through it are bounds-checked.
    pub memory: &'m mut MemoryMap<'a>,
}

impl fmt::Debug for HelperContext<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HelperContext").finish_non_exhaustive()
    }
}

/// A registered helper.
#[derive(Clone)]
pub struct Helper {
    /// The id programs call it by (`call ID`).
    pub id: u32,
    /// The name ELF objects call it by.
    pub name: String,
    /// The function.
    pub func: Arc<HelperFn>,
    /// What the verifier checks at each call: the arguments it reads and what it returns.
    /// `None`: the verifier knows nothing of what the helper does, and refuses programs that
    /// call it (unless the host lets it assume the worst of such calls).
    pub proto: Option<Proto>,
}

impl fmt::Debug for Helper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Helper")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish()
    }
}

/// Helpers by id and by name.
#[derive(Clone, Debug, Default)]
pub struct HelperRegistry {
    by_id: BTreeMap<u32, Helper>,
    by_name: HashMap<String, u32>,
}

impl HelperRegistry {
    /// An empty registry.
    pub fn new() -> HelperRegistry {
        HelperRegistry::default()
    }

    /// Registers `func` as helper `id` named `name`, replacing any helper with that id or name.
    /// It has no prototype: verified programs may not call it (see
    /// [`register_with_proto`](Self::register_with_proto)).
    pub fn register<F>(&mut self, id: u32, name: &str, func: F)
    where
        F: Fn(&mut HelperContext<'_, '_>, [u64; 5]) -> HelperResult + Send + Sync + 'static,
    {
        self.register_arc(id, name, Arc::new(func));
    }

    /// Registers an already shared helper function.
    pub fn register_arc(&mut self, id: u32, name: &str, func: Arc<HelperFn>) {
        self.register_with_proto(id, name, None, func);
    }

    /// Registers a helper with the prototype the verifier checks its calls against (`None`: as
    /// [`register`](Self::register)).
    pub fn register_with_proto(
        &mut self,
        id: u32,
        name: &str,
        proto: Option<Proto>,
        func: Arc<HelperFn>,
    ) {
        self.unregister(id);
        if let Some(old) = self.by_name.remove(name) {
            self.by_id.remove(&old);
        }
        self.by_name.insert(name.to_owned(), id);
        self.by_id.insert(
            id,
            Helper {
                id,
                name: name.to_owned(),
                func,
                proto,
            },
        );
    }

    /// Removes helper `id`; returns whether it was registered.
    pub fn unregister(&mut self, id: u32) -> bool {
        match self.by_id.remove(&id) {
            Some(h) => {
                self.by_name.remove(&h.name);
                true
            }
            None => false,
        }
    }

    /// The helper with this id.
    pub fn get(&self, id: u32) -> Option<&Helper> {
        self.by_id.get(&id)
    }

    /// The id of the helper with this name.
    pub fn id_of(&self, name: &str) -> Option<u32> {
        self.by_name.get(name).copied()
    }

    /// Whether a helper with this id is registered.
    pub fn contains(&self, id: u32) -> bool {
        self.by_id.contains_key(&id)
    }

    /// Every helper, by ascending id.
    pub fn iter(&self) -> impl Iterator<Item = &Helper> {
        self.by_id.values()
    }

    /// Number of registered helpers.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// Whether no helper is registered.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}
