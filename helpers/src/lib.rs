//! oxbpf-helpers: maps with Linux semantics and the standard eBPF helpers, shared by every
//! backend.
//!
//! - [`map`]: [`Map`] (array, hash, per-CPU array and hash, LRU hash and LRU per-CPU hash, LPM
//!   trie, ring buffer, perf event array, queue, stack, bloom filter, prog array, stack trace,
//!   cgroup array and cgroup storage, array and hash of maps, device, CPU and XSK maps, socket
//!   maps) and [`MapSet`], the maps of one loaded object; safe to use from programs on many
//!   threads and from the host at once;
//! - [`standard`]: the helpers by Linux id (`map_lookup_elem` 1 … `loop` 181), registered over
//!   a `MapSet` with [`standard::register`], and the packet helpers of a program type
//!   (`xdp_adjust_head`, `skb_load_bytes`, `l4_csum_replace`, ...) with
//!   [`standard::register_packet`];
//! - [`HostEnv`]: what programs see of the current task, where `trace_printk` writes, and the
//!   stack `get_stackid` stores;
//! - [`redirect`]: where `redirect` and `redirect_map` sent the packet, for the host to read
//!   after the run.
//!
//! ```
//! use oxbpf_core::{Config, Executable, HelperRegistry, Program, Backend};
//! use oxbpf_helpers::{HostEnv, Map, MapDef, MapSet, MapType};
//! use std::sync::Arc;
//!
//! let mut maps = MapSet::new();
//! let counter = maps.add(Map::new(MapDef::new("counter", MapType::Array, 4, 8, 1))?);
//! let mut helpers = HelperRegistry::new();
//! oxbpf_helpers::standard::register(&mut helpers, &maps, &HostEnv::default());
//! // r0 = map_lookup_elem(counter, &0); *r0 += 5
//! let src = format!(
//!     "stw [%r10-4], 0\nlddw %r1, {:#x}\nmov %r2, %r10\nadd %r2, -4\ncall 1\n\
//!      jeq %r0, 0, out\nmov %r1, 5\nlock add [%r0], %r1\nout:\nmov %r0, 0\nexit",
//!     counter.handle()
//! );
//! let program = Program::from_asm(&src, &Config::default(), &helpers)?.with_shared(maps.regions());
//! let exe = oxbpf_interp::Interpreter.prepare(Arc::new(program), Arc::new(helpers))?;
//! exe.run(&mut [])?;
//! exe.run(&mut [])?;
//! assert_eq!(counter.lookup(&0u32.to_le_bytes())?, 10u64.to_le_bytes());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod cpu;
pub mod env;
pub mod map;
pub mod redirect;
pub mod standard;

pub use env::HostEnv;
pub use map::{Map, MapDef, MapError, MapSet, MapType, Pinning};
