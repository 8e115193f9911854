//! The context of a BTF-typed tracing program (`fentry`, `fexit`, `fmod_ret`, `tp_btf`,
//! `lsm`, `iter`): its arguments as Linux passes them, an array of 64-bit words, followed by
//! the kernel objects the host wants its pointer arguments to reach.
//!
//! Such a program reads through its pointer arguments directly (`file->f_path.dentry`), and
//! a verified one does so with probe loads (see `Program::is_probe`): each reads the bytes
//! where they lie in the run's context or in memory the host added, and 0 anywhere else, as
//! Linux's `BPF_PROBE_MEM` does for a kernel pointer that faults. So the objects live in the
//! context buffer, after the arguments, and the pointers among them are real addresses in it,
//! set from where the buffer is when the program runs.

use crate::{Loaded, Trap};
use oxbpf_core::program_type::context::TRACING_ARGS;

/// An object added to a [`TracingContext`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ObjectId(usize);

/// The context of a BTF-typed tracing program: see the module docs.
#[derive(Clone, Debug)]
pub struct TracingContext {
    buf: Vec<u8>,
    /// Objects: their offset in `buf` and their length.
    objects: Vec<(usize, usize)>,
    /// Pointers to set before a run: where (an offset in `buf`), and to what (an offset).
    links: Vec<(usize, usize)>,
}

/// Why a tracing context could not be changed so.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TracingContextError {
    /// The argument does not exist (Linux passes at most 12, plus a return value).
    #[error("argument {0} is past the {1} a tracing program gets")]
    NoArgument(usize, usize),
    /// The object does not exist.
    #[error("no object {0:?} in this context")]
    NoObject(ObjectId),
    /// The field does not lie in its object.
    #[error("8 bytes at {0} do not lie in an object of {1} bytes")]
    OutsideObject(usize, usize),
}

impl Default for TracingContext {
    fn default() -> Self {
        TracingContext::new()
    }
}

impl TracingContext {
    /// The number of arguments a tracing program's context has room for.
    pub const ARGS: usize = TRACING_ARGS.size as usize / 8;

    /// A context whose arguments are all 0, with no objects.
    pub fn new() -> TracingContext {
        TracingContext {
            buf: vec![0; TRACING_ARGS.size as usize],
            objects: Vec::new(),
            links: Vec::new(),
        }
    }

    /// Sets argument `i` to a number.
    pub fn set_arg(&mut self, i: usize, value: u64) -> Result<(), TracingContextError> {
        let at = Self::arg_at(i)?;
        self.links.retain(|&(slot, _)| slot != at);
        self.buf[at..at + 8].copy_from_slice(&value.to_le_bytes());
        Ok(())
    }

    /// Adds an object holding `bytes` (placed at an 8-byte boundary).
    pub fn add_object(&mut self, bytes: &[u8]) -> ObjectId {
        let at = self.buf.len().next_multiple_of(8);
        self.buf.resize(at, 0);
        self.buf.extend_from_slice(bytes);
        self.objects.push((at, bytes.len()));
        ObjectId(self.objects.len() - 1)
    }

    /// The bytes of object `id`, for the host to read or change (pointer fields set with
    /// [`point_field`](Self::point_field) are written again before each run).
    pub fn object_mut(&mut self, id: ObjectId) -> Result<&mut [u8], TracingContextError> {
        let (at, len) = self.object(id)?;
        Ok(&mut self.buf[at..at + len])
    }

    /// Makes argument `i` point to byte `off` of object `to`.
    pub fn point_arg(
        &mut self,
        i: usize,
        to: ObjectId,
        off: usize,
    ) -> Result<(), TracingContextError> {
        let at = Self::arg_at(i)?;
        let (target, _) = self.object(to)?;
        self.link(at, target + off);
        Ok(())
    }

    /// Makes the 8-byte field at `field` of object `of` point to byte `off` of object `to`.
    pub fn point_field(
        &mut self,
        of: ObjectId,
        field: usize,
        to: ObjectId,
        off: usize,
    ) -> Result<(), TracingContextError> {
        let (at, len) = self.object(of)?;
        if field.checked_add(8).is_none_or(|end| end > len) {
            return Err(TracingContextError::OutsideObject(field, len));
        }
        let (target, _) = self.object(to)?;
        self.link(at + field, target + off);
        Ok(())
    }

    /// Runs `loaded` over this context, its pointers set from where the buffer is now.
    pub fn run(&mut self, loaded: &Loaded) -> Result<u64, Trap> {
        loaded.execute(self.memory())
    }

    /// The context memory as the program gets it, its pointers set from where the buffer is
    /// now: for a host that runs the program itself ([`Loaded::execute_on`]). The buffer must
    /// not move before the run.
    pub fn memory(&mut self) -> &mut [u8] {
        let base = self.buf.as_ptr() as u64;
        for &(slot, target) in &self.links {
            let addr = base + target as u64;
            self.buf[slot..slot + 8].copy_from_slice(&addr.to_le_bytes());
        }
        &mut self.buf
    }

    fn arg_at(i: usize) -> Result<usize, TracingContextError> {
        if i < Self::ARGS {
            Ok(i * 8)
        } else {
            Err(TracingContextError::NoArgument(i, Self::ARGS))
        }
    }

    fn object(&self, id: ObjectId) -> Result<(usize, usize), TracingContextError> {
        self.objects
            .get(id.0)
            .copied()
            .ok_or(TracingContextError::NoObject(id))
    }

    fn link(&mut self, slot: usize, target: usize) {
        self.links.retain(|&(s, _)| s != slot);
        self.links.push((slot, target));
    }
}
