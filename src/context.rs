//! Contexts of program types built from the host's data: a packet with the structure an XDP or
//! `__sk_buff` program reads ([`PacketContext`]), a register set for kprobes, a tracepoint
//! record, raw tracepoint arguments ([`Context::raw_tracepoint`]), the arguments of a BTF-typed tracing
//! program with the kernel objects they point to ([`TracingContext`]).
//!
//! A packet context is one buffer: the UAPI structure, the packet pointers at full width
//! ([`PacketPointers`]), the socket the structure's socket field points to when the host gives
//! one ([`PacketContext::set_socket`]), headroom, the packet, tailroom. A verified program
//! reads the pointers from their full-width copies (its loads of the UAPI fields are rewritten
//! so); the whole buffer is the run's context memory, so the packet is reachable and nothing
//! beyond it.

mod tracing;

pub use tracing::{ObjectId, TracingContext, TracingContextError};

use crate::{Error, Loaded, ProgramType, Trap};
use oxbpf_core::program_type::{
    ContextLayout, FieldKind, PacketPointers, SOCK_SIZE, TCP_SOCK_SIZE,
};

/// Room before an XDP packet for `xdp_adjust_head` and metadata (Linux's
/// `XDP_PACKET_HEADROOM`).
pub const XDP_HEADROOM: usize = 256;

/// Room before an `__sk_buff` packet (Linux's `NET_SKB_PAD`, rounded).
pub const SKB_HEADROOM: usize = 64;

/// Room after a packet for `xdp_adjust_tail` and `skb_change_tail`.
pub const TAILROOM: usize = 256;

/// The context memory of a program type with a packet: see the module docs.
#[derive(Clone, Debug)]
pub struct PacketContext {
    layout: ContextLayout,
    pointers: PacketPointers,
    buf: Vec<u8>,
    /// The packet's first byte and its length, as offsets into `buf`.
    start: usize,
    len: usize,
    /// Bytes of metadata right before the packet (`data_meta` to `data`).
    meta: usize,
    /// Whether the context carries a socket (see [`set_socket`](Self::set_socket)).
    socket: bool,
}

/// Why a context could not be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    /// The program type's context has no packet.
    #[error("programs of type {0} get no packet")]
    NoPacket(ProgramType),
    /// The program type's context is not one oxbpf describes.
    #[error("oxbpf does not describe the context of {0} programs")]
    Undescribed(ProgramType),
    /// The structure has no socket field (or the socket's bytes do not fit it), or it always
    /// has a socket.
    #[error("{0} carries no socket that can be set or taken away so")]
    NoSocket(&'static str),
    /// No field of that name (or it is not a number).
    #[error("{structure} has no number field `{name}`")]
    NoField {
        /// The structure.
        structure: &'static str,
        /// The name asked for.
        name: String,
    },
}

impl PacketContext {
    /// The context of a program of type `t` over `packet`: for XDP an `xdp_md` with
    /// [`XDP_HEADROOM`], for the `__sk_buff` types one with `len` and `protocol` (the Ethernet
    /// type, as the kernel sets it) filled in and [`SKB_HEADROOM`], for sk_msg an `sk_msg_md`
    /// over the message (`size` set), for sock_ops a `bpf_sock_ops` over a TCP header (`skb_len`
    /// set; give an empty one for callbacks without), for the cgroup sockopt hooks a
    /// `bpf_sockopt` over the option's value (`optlen` set); [`TAILROOM`] after each.
    pub fn new(t: ProgramType, packet: &[u8]) -> Result<PacketContext, ContextError> {
        let layout = t.context().ok_or(ContextError::Undescribed(t))?;
        let headroom = if t == ProgramType::Xdp {
            XDP_HEADROOM
        } else {
            SKB_HEADROOM
        };
        let mut ctx = PacketContext::with_layout(layout, packet, headroom, TAILROOM)
            .ok_or(ContextError::NoPacket(t))?;
        // The message's length (sk_msg), the header's (a sock_ops callback's).
        match layout.name {
            "sk_msg_md" => ctx.set_field("size", packet.len() as u64)?,
            "bpf_sock_ops" => ctx.set_field("skb_len", packet.len() as u64)?,
            // The option's length (the buffer's, for getsockopt).
            "bpf_sockopt" => ctx.set_field("optlen", packet.len() as u64)?,
            _ => {}
        }
        if layout.name == "__sk_buff" {
            ctx.set_field("len", packet.len() as u64)?;
            // `skb->protocol` is the Ethernet type in network byte order.
            if let Some(ty) = packet.get(12..14) {
                ctx.set_field("protocol", u64::from(u16::from_ne_bytes([ty[0], ty[1]])))?;
            }
        }
        Ok(ctx)
    }

    /// A context of `layout` over `packet` with `headroom` bytes before it and `tailroom` after;
    /// `None` when the layout has no packet.
    pub fn with_layout(
        layout: ContextLayout,
        packet: &[u8],
        headroom: usize,
        tailroom: usize,
    ) -> Option<PacketContext> {
        let pointers = layout.packet?;
        let start = pointers.header as usize + headroom;
        let mut buf = vec![0u8; start + packet.len() + tailroom];
        buf[start..start + packet.len()].copy_from_slice(packet);
        Some(PacketContext {
            layout,
            pointers,
            buf,
            start,
            len: packet.len(),
            meta: 0,
            // A structure whose socket is never null carries one (zeros until set).
            socket: matches!(pointers.socket_field, Some((_, false))),
        })
    }

    /// The structure's layout.
    pub fn layout(&self) -> &ContextLayout {
        &self.layout
    }

    /// Sets the number field `name` of the structure (`ingress_ifindex`, `mark`, `cb`'s first
    /// element, ...), truncated to its width.
    pub fn set_field(&mut self, name: &str, value: u64) -> Result<(), ContextError> {
        let (at, size) = self.scalar_field(name)?;
        self.buf[at..at + size].copy_from_slice(&value.to_le_bytes()[..size]);
        Ok(())
    }

    /// The number field `name` of the structure (as the program left it, after a run).
    pub fn field(&self, name: &str) -> Result<u64, ContextError> {
        let (at, size) = self.scalar_field(name)?;
        let mut b = [0u8; 8];
        b[..size].copy_from_slice(&self.buf[at..at + size]);
        Ok(u64::from_le_bytes(b))
    }

    fn scalar_field(&self, name: &str) -> Result<(usize, usize), ContextError> {
        let missing = || ContextError::NoField {
            structure: self.layout.name,
            name: name.to_owned(),
        };
        let oxbpf_core::program_type::Access::Fields(fields) = self.layout.access else {
            return Err(missing());
        };
        let f = fields
            .iter()
            .find(|f| f.name == name && f.kind == FieldKind::Scalar)
            .ok_or_else(missing)?;
        Ok((f.offset as usize, f.size as usize))
    }

    /// The packet: its bytes as they are now (after a run, as the program and its helpers left
    /// them, moved or resized).
    pub fn packet(&self) -> &[u8] {
        &self.buf[self.start..self.start + self.len]
    }

    /// The packet, to change before a run.
    pub fn packet_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.start..self.start + self.len]
    }

    /// Gives the context a socket: `sock`'s bytes as the start of a `struct bpf_sock` (80
    /// bytes: `family`, `type`, `protocol`, addresses, ports, `state`, ...), `tcp`'s as the start
    /// of its `struct bpf_tcp_sock` (112 bytes: `snd_cwnd`, `srtt_us`, ...), the rest zeros. The
    /// context's socket field (`__sk_buff.sk`, `bpf_sock_ops.sk`, ...) then points to it, and
    /// `bpf_sk_fullsock`/`bpf_tcp_sock` return it (the TCP state for a TCP stream socket,
    /// `type` 1 and `protocol` 6). An error for a structure without a socket field or bytes
    /// that do not fit.
    pub fn set_socket(&mut self, sock: &[u8], tcp: &[u8]) -> Result<(), ContextError> {
        let no_socket = ContextError::NoSocket(self.layout.name);
        if self.pointers.socket_field.is_none()
            || sock.len() > SOCK_SIZE as usize
            || tcp.len() > TCP_SOCK_SIZE as usize
        {
            return Err(no_socket);
        }
        let at = self.pointers.socket as usize;
        let area = &mut self.buf[at..at + (SOCK_SIZE + TCP_SOCK_SIZE) as usize];
        area.fill(0);
        area[..sock.len()].copy_from_slice(sock);
        let tcp_at = SOCK_SIZE as usize;
        area[tcp_at..tcp_at + tcp.len()].copy_from_slice(tcp);
        self.socket = true;
        Ok(())
    }

    /// Takes the socket away: the socket field holds 0, as for a packet without one. An error
    /// where the structure always has one (`sk_msg_md`, `bpf_sockopt`).
    pub fn clear_socket(&mut self) -> Result<(), ContextError> {
        match self.pointers.socket_field {
            Some((_, true)) => {
                self.socket = false;
                Ok(())
            }
            _ => Err(ContextError::NoSocket(self.layout.name)),
        }
    }

    /// The metadata before the packet (`data_meta` to `data`): what an XDP program put there
    /// with `xdp_adjust_meta`, or what the host set.
    pub fn metadata(&self) -> &[u8] {
        &self.buf[self.start - self.meta..self.start]
    }

    /// Sets the metadata before the packet, as an XDP program passes it on to a
    /// traffic-control one; `None` if it does not fit in the headroom.
    pub fn set_metadata(&mut self, meta: &[u8]) -> Option<()> {
        let first = self.start.checked_sub(meta.len())?;
        if first < self.pointers.header as usize {
            return None;
        }
        self.buf[first..self.start].copy_from_slice(meta);
        self.meta = meta.len();
        Some(())
    }

    /// Runs `loaded` over this context: the packet pointers are set from where the buffer is
    /// now, and afterwards read back, so [`packet`](Self::packet) is the packet the program
    /// left (a program that wrote them out of the buffer leaves an empty packet).
    pub fn run(&mut self, loaded: &Loaded) -> Result<u64, Trap> {
        self.write_pointers();
        let r = loaded.execute(&mut self.buf);
        self.read_pointers();
        r
    }

    /// The context memory as the program gets it, its pointers set from where the buffer is
    /// now: for a host that runs the program itself ([`Loaded::execute_on`]). The buffer must
    /// not move before the run; call [`after_run`](Self::after_run) afterwards.
    pub fn memory(&mut self) -> &mut [u8] {
        self.write_pointers();
        &mut self.buf
    }

    /// Reads back where the program left the packet, after a run on [`memory`](Self::memory).
    pub fn after_run(&mut self) {
        self.read_pointers();
    }

    fn write_pointers(&mut self) {
        let base = self.buf.as_ptr() as u64;
        let data = base + self.start as u64;
        let end = data + self.len as u64;
        let meta = data - self.meta as u64;
        let p = self.pointers;
        for (at, v) in [(p.data, data), (p.data_end, end), (p.data_meta, meta)] {
            self.buf[at as usize..at as usize + 8].copy_from_slice(&v.to_le_bytes());
        }
        if let Some((at, _)) = p.socket_field {
            let sk = if self.socket {
                base + u64::from(p.socket)
            } else {
                0
            };
            self.buf[at as usize..at as usize + 8].copy_from_slice(&sk.to_le_bytes());
        }
        // The UAPI fields hold the low halves, as a 32-bit kernel's would (an unverified
        // program reads these; a verified one reads the full-width copies).
        for (kind, v) in [
            (FieldKind::PacketData, data),
            (FieldKind::PacketEnd, end),
            (FieldKind::PacketMeta, meta),
        ] {
            if let Some(f) = self.layout.field_of(kind) {
                let (at, size) = (f.offset as usize, f.size as usize);
                self.buf[at..at + size].copy_from_slice(&v.to_le_bytes()[..size]);
            }
        }
    }

    fn read_pointers(&mut self) {
        let base = self.buf.as_ptr() as u64;
        let word = |at: u32| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&self.buf[at as usize..at as usize + 8]);
            u64::from_le_bytes(b)
        };
        let (data, end) = (word(self.pointers.data), word(self.pointers.data_end));
        let first = base + u64::from(self.pointers.header);
        let last = base + self.buf.len() as u64;
        if first <= data && data <= end && end <= last {
            self.start = (data - base) as usize;
            self.len = (end - data) as usize;
            let meta = word(self.pointers.data_meta);
            self.meta = if first <= meta && meta <= data {
                (data - meta) as usize
            } else {
                0
            };
        } else {
            self.start = self.pointers.header as usize;
            self.len = 0;
            self.meta = 0;
        }
    }
}

/// Contexts of program types without a packet.
#[derive(Clone, Copy, Debug)]
pub struct Context;

impl Context {
    /// A register set (`pt_regs` of this machine) for a kprobe or perf event program: the
    /// registers in their UAPI order (x86-64: `r15, r14, r13, r12, bp, bx, r11, r10, r9, r8,
    /// ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss`; aarch64: `x0`..`x30, sp, pc,
    /// pstate`), missing ones zero.
    pub fn registers(t: ProgramType, regs: &[u64]) -> Result<Vec<u8>, ContextError> {
        let layout = t.context().ok_or(ContextError::Undescribed(t))?;
        let mut out = vec![0u8; layout.size as usize];
        for (i, r) in regs.iter().enumerate().take(layout.size as usize / 8) {
            out[i * 8..i * 8 + 8].copy_from_slice(&r.to_le_bytes());
        }
        Ok(out)
    }

    /// A raw tracepoint's arguments, 8 bytes each.
    pub fn raw_tracepoint(args: &[u64]) -> Vec<u8> {
        args.iter().flat_map(|a| a.to_le_bytes()).collect()
    }
}

impl Loaded {
    /// Runs this program over `ctx` (see [`PacketContext::run`]).
    pub fn run_packet(&self, ctx: &mut PacketContext) -> Result<u64, Trap> {
        ctx.run(self)
    }
}

impl From<ContextError> for Error {
    fn from(e: ContextError) -> Error {
        Error::Context(e)
    }
}
