//! What a hook hands a run: its fields and, where the hook has them, the bytes the read methods
//! read.

use oxbpf_loader::mbpf::manifest::Hook;

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
        let names: &[&'static str] = match self.hook {
            Hook::Tracepoint => &[
                "tracepoint_id",
                "timestamp",
                "cpu",
                "pid",
                "data_len",
                "flags",
            ],
            Hook::Timer => &[
                "timer_id",
                "period_us",
                "invocation_count",
                "timestamp",
                "flags",
            ],
            Hook::NetRx | Hook::NetTx => &["ifindex", "pkt_len", "data_len", "l2_proto", "flags"],
            Hook::Security => &["subject_id", "object_id", "action", "data_len", "flags"],
            Hook::Custom => &[
                "custom_hook_id",
                "schema_version",
                "field_count",
                "data_len",
                "flags",
            ],
        };
        names
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
