//! The backends by name.

use crate::Interpreter;
#[cfg(feature = "jit")]
use crate::{Aot, Jit};
use oxbpf_core::Backend;
use std::sync::Arc;

/// Names of the registered backends, the default first ("jit" and "aot" with the `jit` feature).
#[cfg(feature = "jit")]
pub const BACKENDS: &[&str] = &["interp", "jit", "aot"];
/// Names of the registered backends, the default first ("jit" and "aot" with the `jit` feature).
#[cfg(not(feature = "jit"))]
pub const BACKENDS: &[&str] = &["interp"];

/// The backend registered under `name`.
pub fn backend(name: &str) -> Option<Arc<dyn Backend>> {
    match name {
        "interp" => Some(Arc::new(Interpreter)),
        #[cfg(feature = "jit")]
        "jit" => Some(Arc::new(Jit)),
        #[cfg(feature = "jit")]
        "aot" => Some(Arc::new(Aot)),
        _ => None,
    }
}
