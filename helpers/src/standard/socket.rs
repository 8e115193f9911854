//! The socket helpers of the packet program types whose context carries a socket
//! (`__sk_buff.sk`, `bpf_sock_ops.sk`, `sk_msg_md.sk`, `bpf_sockopt.sk`): `sk_fullsock` (95),
//! `tcp_sock` (96) and `get_listener_sock` (98), registered with the packet helpers
//! ([`register_packet`](super::register_packet)).
//!
//! The socket is the one the host put in the run's context (see
//! [`PacketPointers::socket`](oxbpf_core::program_type::PacketPointers::socket)): a
//! `struct bpf_sock`, then its `struct bpf_tcp_sock`. A helper handed anything but that
//! socket's address, while the context's socket field holds it, returns NULL, so that what it
//! returns is always that socket or its TCP state, which the verifier lets programs read.

use super::packet::Shape;
use oxbpf_core::program_type::{SOCK_SIZE, TCP_SOCK_SIZE};
use oxbpf_core::{HelperContext, HelperResult};

/// `bpf_sock.type`'s offset, and `SOCK_STREAM`.
const TYPE: usize = 8;
const SOCK_STREAM: u32 = 1;
/// `bpf_sock.protocol`'s offset, and `IPPROTO_TCP`.
const PROTOCOL: usize = 12;
const IPPROTO_TCP: u32 = 6;
/// `bpf_sock.state`'s offset, and the TCP states that matter here.
const STATE: usize = 72;
const TCP_TIME_WAIT: u32 = 6;
const TCP_LISTEN: u32 = 10;
const TCP_NEW_SYN_RECV: u32 = 12;

/// The 32-bit field at `at` of the socket `sk` is handed, if `sk` is the context's socket.
fn field(s: &Shape, hc: &mut HelperContext<'_, '_>, sk: u64, at: usize) -> Option<u32> {
    let (field, _) = s.pointers.socket_field?;
    let buf = hc.memory.context_mut()?;
    let base = buf.as_ptr() as u64;
    let socket = usize::try_from(s.pointers.socket).ok()?;
    let held = buf.get(field as usize..field as usize + 8)?;
    if sk == 0
        || sk != base.checked_add(socket as u64)?
        || u64::from_le_bytes(held.try_into().ok()?) != sk
    {
        return None;
    }
    let bytes = buf.get(socket..socket + (SOCK_SIZE + TCP_SOCK_SIZE) as usize)?;
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// `sk_fullsock(sk)`: `sk`, unless it is a time-wait or request socket (or not the context's).
pub(super) fn sk_fullsock(s: &Shape, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    Ok(match field(s, hc, a[0], STATE) {
        Some(TCP_TIME_WAIT | TCP_NEW_SYN_RECV) | None => 0,
        Some(_) => a[0],
    })
}

/// `tcp_sock(sk)`: the TCP state after the socket, for a full TCP stream socket.
pub(super) fn tcp_sock(s: &Shape, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let full = sk_fullsock(s, hc, a)? != 0;
    let tcp = field(s, hc, a[0], PROTOCOL) == Some(IPPROTO_TCP)
        && field(s, hc, a[0], TYPE) == Some(SOCK_STREAM);
    Ok(if full && tcp {
        a[0] + u64::from(SOCK_SIZE)
    } else {
        0
    })
}

/// `get_listener_sock(sk)`: `sk` if it listens (a request socket's listener is not modelled).
pub(super) fn get_listener_sock(
    s: &Shape,
    hc: &mut HelperContext<'_, '_>,
    a: [u64; 5],
) -> HelperResult {
    Ok(match field(s, hc, a[0], STATE) {
        Some(TCP_LISTEN) => a[0],
        _ => 0,
    })
}
