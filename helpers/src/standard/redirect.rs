//! `redirect` and `redirect_map`: XDP's choice of where a packet goes, recorded for the host in
//! [`crate::redirect`].

use super::maps::map;
use super::{Env, REDIRECT_MAPS};
use crate::map::MapType;
use crate::redirect::{
    BPF_F_ACTION_MASK, BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS, Redirect, RedirectTarget,
    XDP_ABORTED, XDP_REDIRECT, set,
};
use oxbpf_core::{HelperContext, HelperResult};

/// `redirect(ifindex, flags)`, XDP's: records the interface and returns `XDP_REDIRECT`;
/// `XDP_ABORTED` (recording nothing) for flags other than 0.
pub(crate) fn redirect(_: &Env, _: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    if a[1] != 0 {
        return Ok(XDP_ABORTED);
    }
    set(Some(Redirect {
        target: RedirectTarget::Ifindex(a[0] as u32),
        flags: 0,
    }));
    Ok(XDP_REDIRECT)
}

/// `redirect_map(map, key, flags)`: with an entry at `key` (as a `u32`), records it and returns
/// `XDP_REDIRECT`; without, clears the record and returns the fallback action in the low 2 bits
/// of `flags`. `BPF_F_BROADCAST` (device maps, with `BPF_F_EXCLUDE_INGRESS`) records every
/// entry whatever the key. Other flags return `XDP_ABORTED`, leaving the record as it was.
pub(crate) fn redirect_map(env: &Env, hc: &mut HelperContext<'_, '_>, a: [u64; 5]) -> HelperResult {
    let m = map(env, hc, a[0])?;
    let map_type = m.def().map_type;
    if !REDIRECT_MAPS.contains(map_type as u32) {
        return Ok(XDP_ABORTED);
    }
    let (key, flags) = (a[1] as u32, a[2]);
    let devices = matches!(map_type, MapType::DevMap | MapType::DevMapHash);
    let allowed = BPF_F_ACTION_MASK
        | if devices {
            BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS
        } else {
            0
        };
    if flags & !allowed != 0 {
        return Ok(XDP_ABORTED);
    }
    let value = m.redirect_target(key);
    let target = if flags & BPF_F_BROADCAST != 0 {
        RedirectTarget::Broadcast {
            map: m.handle(),
            map_type,
            exclude_ingress: flags & BPF_F_EXCLUDE_INGRESS != 0,
        }
    } else if let Some(value) = value {
        RedirectTarget::Entry {
            map: m.handle(),
            map_type,
            key,
            value,
        }
    } else {
        set(None);
        return Ok(flags & BPF_F_ACTION_MASK);
    };
    set(Some(Redirect { target, flags }));
    Ok(XDP_REDIRECT)
}
