//! Where a program asked its packet to go: the target `redirect` and `redirect_map` chose,
//! which the host reads after the run.
//!
//! Linux keeps this in a per-CPU `struct bpf_redirect_info` that the XDP or TC driver consumes
//! right after the program returns on the same CPU. oxbpf's "CPU" is the host thread
//! ([`cpu`](crate::cpu)), and a run executes its helpers on the thread that runs it, so the
//! record is per thread: the host calls [`take`] on the thread that ran the program, after the
//! run (runs on other threads never see or disturb it). As in Linux, `redirect` and a
//! successful `redirect_map` set it, a `redirect_map` whose key is absent clears it (so the last
//! call of a run decides), and calls with invalid flags leave it as it was; nothing clears it at
//! the start of a run, so a host that does not take it after every run should [`take`] it
//! before the next.
//!
//! ```
//! use oxbpf_core::{Backend, Config, HelperRegistry, Program};
//! use oxbpf_helpers::redirect::{self, RedirectTarget, XDP_REDIRECT};
//! use oxbpf_helpers::{HostEnv, MapSet};
//! use std::sync::Arc;
//!
//! let mut helpers = HelperRegistry::new();
//! oxbpf_helpers::standard::register(&mut helpers, &MapSet::new(), &HostEnv::default());
//! // return redirect(7, 0)
//! let src = "mov %r1, 7\nmov %r2, 0\ncall 23\nexit";
//! let program = Program::from_asm(src, &Config::default(), &helpers)?;
//! let exe = oxbpf_interp::Interpreter.prepare(Arc::new(program), Arc::new(helpers))?;
//! assert_eq!(exe.run(&mut [])?, XDP_REDIRECT);
//! assert_eq!(redirect::take().map(|r| r.target), Some(RedirectTarget::Ifindex(7)));
//! assert!(redirect::take().is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::map::MapType;
use std::cell::RefCell;

/// `XDP_ABORTED`.
pub const XDP_ABORTED: u64 = 0;
/// `XDP_DROP`.
pub const XDP_DROP: u64 = 1;
/// `XDP_PASS`.
pub const XDP_PASS: u64 = 2;
/// `XDP_TX`.
pub const XDP_TX: u64 = 3;
/// `XDP_REDIRECT`: what `redirect` and a successful `redirect_map` return.
pub const XDP_REDIRECT: u64 = 4;
/// `TC_ACT_REDIRECT`: what Linux's `bpf_redirect` returns to TC programs (oxbpf's `redirect`
/// follows the XDP variant and returns [`XDP_REDIRECT`]; see [`standard`](crate::standard)).
pub const TC_ACT_REDIRECT: u64 = 7;
/// `BPF_F_BROADCAST` (`redirect_map` on device maps): send to every entry.
pub const BPF_F_BROADCAST: u64 = 1 << 3;
/// `BPF_F_EXCLUDE_INGRESS` (with [`BPF_F_BROADCAST`]): except the interface the packet came in
/// on.
pub const BPF_F_EXCLUDE_INGRESS: u64 = 1 << 4;
/// The low bits of `redirect_map`'s flags: the action to return when the key is absent.
pub const BPF_F_ACTION_MASK: u64 = XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX;

/// The target of a redirect.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedirectTarget {
    /// `redirect(ifindex, 0)`: an interface by index.
    Ifindex(u32),
    /// `redirect_map(map, key, flags)`: the entry at `key` of a device, CPU or XSK map, with its
    /// value when the program ran (an ifindex or `bpf_devmap_val`, a queue size or
    /// `bpf_cpumap_val`, a socket handle).
    Entry {
        /// The map's [`handle`](crate::Map::handle).
        map: u64,
        /// Its type.
        map_type: MapType,
        /// The key.
        key: u32,
        /// The entry's value.
        value: Vec<u8>,
    },
    /// `redirect_map(map, key, BPF_F_BROADCAST | …)`: every entry of a device map (but the
    /// ingress interface with [`BPF_F_EXCLUDE_INGRESS`]).
    Broadcast {
        /// The map's [`handle`](crate::Map::handle).
        map: u64,
        /// Its type.
        map_type: MapType,
        /// Whether the ingress interface is left out.
        exclude_ingress: bool,
    },
}

/// A redirect a program chose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redirect {
    /// Where to.
    pub target: RedirectTarget,
    /// The helper's flags (`redirect_map`'s, or 0).
    pub flags: u64,
}

thread_local! {
    static SLOT: RefCell<Option<Redirect>> = const { RefCell::new(None) };
}

/// Takes the redirect the last program run on this thread chose, if any.
pub fn take() -> Option<Redirect> {
    SLOT.with(|s| s.borrow_mut().take())
}

/// The redirect the last program run on this thread chose, left in place.
pub fn peek() -> Option<Redirect> {
    SLOT.with(|s| s.borrow().clone())
}

/// Records `r` (or clears the record) for this thread: what the helpers do.
pub(crate) fn set(r: Option<Redirect>) {
    SLOT.with(|s| *s.borrow_mut() = r);
}
