//! The hooks a program attaches to, and what a hook hands a run: its fields and, where the hook
//! has them, the bytes the read methods read; and the context blob, the one layout of that input
//! that the QuickJS runtime (`oxbpf-quickjs`) and the lowered eBPF (`oxbpf-lower`) both read.
//!
//! [`Hook`] is declared once, in the `hooks!` table below: each hook's id, name, default return,
//! whether its `ctx` has the read methods, and its `ctx` fields.

/// Declares [`Hook`] from one table, one row per hook: its variant, manifest id (`hook_type`),
/// command-line name, what a failed run returns, whether its `ctx` has the read methods
/// (`readU8`, ...), and its `ctx` fields in order; and the lookups derived from it.
macro_rules! hooks {
    ($(
        $(#[$doc:meta])*
        $variant:ident = $id:literal, $name:literal,
            default_return: $default:literal, read_methods: $reads:literal,
            ctx: [$($field:literal),* $(,)?];
    )*) => {
        /// Where a program attaches.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Hook {
            $($(#[$doc])* $variant = $id,)*
        }

        impl Hook {
            /// Every hook, by id.
            pub const ALL: [Hook; [$($id),*].len()] = [$(Hook::$variant),*];

            /// The hook with this id.
            pub fn from_id(id: u64) -> Option<Hook> {
                match id {
                    $($id => Some(Hook::$variant),)*
                    _ => None,
                }
            }

            /// The command-line name (`net_rx`, ...).
            pub fn name(self) -> &'static str {
                match self {
                    $(Hook::$variant => $name,)*
                }
            }

            /// The hook with this command-line name.
            pub fn from_name(name: &str) -> Option<Hook> {
                match name {
                    $($name => Some(Hook::$variant),)*
                    _ => None,
                }
            }

            /// What a run returns when the program fails (SECURITY denies; the rest pass or count 0).
            pub fn default_return(self) -> i32 {
                match self {
                    $(Hook::$variant => $default,)*
                }
            }

            /// Whether the hook's `ctx` has the read methods (see [`has_read_methods`]).
            fn read_methods(self) -> bool {
                match self {
                    $(Hook::$variant => $reads,)*
                }
            }

            /// The fields of the hook's `ctx`, in order.
            fn ctx_fields(self) -> &'static [&'static str] {
                match self {
                    $(Hook::$variant => &[$($field),*],)*
                }
            }
        }
    };
}

hooks! {
    /// 1: tracepoints (observer).
    Tracepoint = 1, "tracepoint", default_return: 0, read_methods: true,
        ctx: ["tracepoint_id", "timestamp", "cpu", "pid", "data_len", "flags"];
    /// 2: timers (observer).
    Timer = 2, "timer", default_return: 0, read_methods: false,
        ctx: ["timer_id", "period_us", "invocation_count", "timestamp", "flags"];
    /// 3: received packets (decision: PASS 0, DROP 1, ABORT 2).
    NetRx = 3, "net_rx", default_return: 0, read_methods: true,
        ctx: ["ifindex", "pkt_len", "data_len", "l2_proto", "flags"];
    /// 4: transmitted packets (as NET_RX).
    NetTx = 4, "net_tx", default_return: 0, read_methods: true,
        ctx: ["ifindex", "pkt_len", "data_len", "l2_proto", "flags"];
    /// 5: security decisions (ALLOW 0, DENY 1, ABORT 2).
    Security = 5, "security", default_return: 1, read_methods: true,
        ctx: ["subject_id", "object_id", "action", "data_len", "flags"];
    /// 6: platform-defined hooks.
    Custom = 6, "custom", default_return: 0, read_methods: true,
        ctx: ["custom_hook_id", "schema_version", "field_count", "data_len", "flags"];
}

/// A named field of a CUSTOM hook's context, as the host's descriptor table types it.
#[derive(Clone, Debug, PartialEq)]
pub enum CustomField {
    /// U8 to I32: a number.
    Number(f64),
    /// U64 or I64: a `[lo, hi]` pair of 32-bit halves.
    Wide(u64),
    /// BYTES: a `Uint8Array` (a copy).
    Bytes(Vec<u8>),
}

/// The input of one run.
#[derive(Clone, Debug, PartialEq)]
pub struct HookInput {
    /// The hook.
    pub hook: Hook,
    /// The bytes `ctx.read*` read (the packet, the tracepoint's data, ...); `None`: no data.
    pub data: Option<Vec<u8>>,
    /// Field values by name, overriding the defaults (`pkt_len`, `ifindex`, ...).
    pub overrides: Vec<(&'static str, f64)>,
    /// A CUSTOM hook's named fields (`field_count` counts them).
    pub custom: Vec<(String, CustomField)>,
}

impl HookInput {
    /// A run of `hook` on `data`, every other field 0 (lengths from `data`).
    pub fn new(hook: Hook, data: Vec<u8>) -> HookInput {
        HookInput {
            hook,
            data: Some(data),
            overrides: Vec::new(),
            custom: Vec::new(),
        }
    }

    /// Sets field `name` (which must be one of the hook's).
    pub fn with(mut self, name: &'static str, value: f64) -> HookInput {
        self.overrides.retain(|(n, _)| *n != name);
        self.overrides.push((name, value));
        self
    }

    /// Adds a CUSTOM hook's named field.
    pub fn with_custom(mut self, name: &str, value: CustomField) -> HookInput {
        self.custom.retain(|(n, _)| n != name);
        self.custom.push((name.to_owned(), value));
        self
    }

    /// The hook's `ctx` fields and their values.
    pub fn fields(&self) -> Vec<(&'static str, f64)> {
        let len = self.data.as_ref().map_or(0, Vec::len) as f64;
        self.hook
            .ctx_fields()
            .iter()
            .map(|&n| {
                let default = match n {
                    "data_len" | "pkt_len" => len,
                    "field_count" => self.custom.len() as f64,
                    _ => 0.0,
                };
                let v = self
                    .overrides
                    .iter()
                    .find(|(o, _)| *o == n)
                    .map_or(default, |&(_, v)| v);
                (n, v)
            })
            .collect()
    }
}

/// The fields of `hook` in the context blob, in order (see [`HookInput::to_blob`]): every field
/// of its `ctx` but those the blob's length gives (`data_len`) or that describe a descriptor
/// table (`field_count`). `timestamp` is a 64-bit value, every other field 32-bit.
pub fn blob_fields(hook: Hook) -> Vec<&'static str> {
    hook.ctx_fields()
        .iter()
        .copied()
        .filter(|&n| n != "data_len" && n != "field_count")
        .collect()
}

/// Bytes of each field in the context blob (a 64-bit little-endian slot; 32-bit fields use its
/// low half and ignore the high one).
pub const BLOB_FIELD_BYTES: usize = 8;

/// The length of `hook`'s context-blob header: the data follows it.
pub fn blob_header_len(hook: Hook) -> usize {
    blob_fields(hook).len() * BLOB_FIELD_BYTES
}

/// Whether a field of the blob is 64-bit (the others are 32-bit).
pub fn blob_field_is_wide(name: &str) -> bool {
    name == "timestamp"
}

/// Whether `hook`'s `ctx` has the read methods (`readU8`, ...).
pub fn has_read_methods(hook: Hook) -> bool {
    hook.read_methods()
}

impl HookInput {
    /// The context blob of this input, the memory a bundle's program gets as `r1`/`r2` on every
    /// backend (QuickJS behind the run helper, or the lowered eBPF): the fields of
    /// [`blob_fields`] as 8-byte little-endian slots, then the data (`data_len` is the rest's
    /// length). A CUSTOM hook's named fields are not part of it.
    pub fn to_blob(&self) -> Vec<u8> {
        let fields = self.fields();
        let mut out = Vec::with_capacity(blob_header_len(self.hook) + self.data_len());
        for name in blob_fields(self.hook) {
            let v = fields
                .iter()
                .find(|(n, _)| *n == name)
                .map_or(0.0, |&(_, v)| v);
            let v = if blob_field_is_wide(name) {
                v as u64
            } else {
                u64::from(v as u32)
            };
            out.extend_from_slice(&v.to_le_bytes());
        }
        if let Some(d) = &self.data {
            out.extend_from_slice(d);
        }
        out
    }

    /// Reads a context blob of `hook` (see [`to_blob`](Self::to_blob)); `None` when it is
    /// shorter than the header. Every field is set from the blob, and the data is the rest (no
    /// data for TIMER, whose `ctx` has no read methods).
    pub fn from_blob(hook: Hook, blob: &[u8]) -> Option<HookInput> {
        let header = blob_header_len(hook);
        let (head, data) = (blob.get(..header)?, blob.get(header..)?);
        let mut input = HookInput::new(hook, data.to_vec());
        if !has_read_methods(hook) {
            input.data = None;
        }
        for (i, &name) in blob_fields(hook).iter().enumerate() {
            let slot = head.get(i * BLOB_FIELD_BYTES..(i + 1) * BLOB_FIELD_BYTES)?;
            let mut word = [0; 8];
            word.copy_from_slice(slot);
            let v = u64::from_le_bytes(word);
            let v = if blob_field_is_wide(name) {
                v as f64
            } else {
                f64::from(v as u32)
            };
            input = input.with(name, v);
        }
        Some(input)
    }

    fn data_len(&self) -> usize {
        self.data.as_ref().map_or(0, Vec::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_context_blob_reads_back_to_its_input() {
        let input = HookInput::new(Hook::Security, vec![1, 2, 3])
            .with("subject_id", 1000.0)
            .with("action", 3.0)
            .with("object_id", 4_000_000_000.0);
        let blob = input.to_blob();
        assert_eq!(blob_header_len(Hook::Security), 32);
        assert_eq!(blob.len(), 32 + 3);
        assert_eq!(&blob[..4], &1000u32.to_le_bytes());
        assert_eq!(&blob[8..12], &4_000_000_000u32.to_le_bytes());
        assert_eq!(&blob[32..], &[1, 2, 3]);
        let back = HookInput::from_blob(Hook::Security, &blob).unwrap();
        assert_eq!(back.fields(), input.fields());
        assert_eq!(back.data, input.data);
        // Shorter than the header: no input (the hook's default on every path).
        assert!(HookInput::from_blob(Hook::Security, &blob[..31]).is_none());
        // TIMER has no data: the bytes after the header are not its.
        let t = HookInput::from_blob(Hook::Timer, &[0; 45]).unwrap();
        assert_eq!(t.data, None);
    }
}
