//! Crossing the boundary: C strings in, byte ranges in, `malloc`'d strings and buffers out.

use libc::c_char;
use std::ffi::CStr;

/// The bytes `ptr[..len]`; `None` for a NULL pointer with a non-zero length. A NULL pointer with
/// length 0 is the empty slice.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` readable bytes that stay valid and unchanged for `'a`.
pub(crate) unsafe fn bytes<'a>(ptr: *const u8, len: usize) -> Option<&'a [u8]> {
    if ptr.is_null() {
        return (len == 0).then_some(&[]);
    }
    // SAFETY: the caller guarantees `len` readable bytes at `ptr` for `'a`.
    Some(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// The writable bytes `ptr[..len]`; `None` for a NULL pointer with a non-zero length.
///
/// # Safety
/// A non-NULL `ptr` must point to `len` writable bytes, not otherwise accessed during `'a`.
pub(crate) unsafe fn bytes_mut<'a>(ptr: *mut u8, len: usize) -> Option<&'a mut [u8]> {
    if ptr.is_null() {
        return (len == 0).then_some(&mut []);
    }
    // SAFETY: the caller guarantees `len` writable, unaliased bytes at `ptr` for `'a`.
    Some(unsafe { std::slice::from_raw_parts_mut(ptr, len) })
}

/// The NUL-terminated string at `ptr` as UTF-8; `None` for NULL or invalid UTF-8.
///
/// # Safety
/// A non-NULL `ptr` must point to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn str<'a>(ptr: *const c_char) -> Option<&'a str> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: the caller guarantees a NUL-terminated string at `ptr`.
    unsafe { CStr::from_ptr(ptr) }.to_str().ok()
}

/// A `malloc`'d copy of `data`, which the host releases with `free()`; NULL if `malloc` fails.
pub(crate) fn malloc_copy(data: &[u8]) -> *mut u8 {
    // SAFETY: `malloc` has no preconditions; one extra byte keeps a zero-length copy non-NULL.
    let p = unsafe { libc::malloc(data.len() + 1) } as *mut u8;
    if !p.is_null() {
        // SAFETY: `p` has room for `data.len() + 1` bytes and does not overlap `data`.
        unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), p, data.len()) };
    }
    p
}

/// A `malloc`'d NUL-terminated copy of `text` (inner NULs become spaces); NULL if `malloc`
/// fails.
pub(crate) fn malloc_string(text: &str) -> *mut c_char {
    let mut bytes: Vec<u8> = text
        .bytes()
        .map(|b| if b == 0 { b' ' } else { b })
        .collect();
    bytes.push(0);
    malloc_copy(&bytes) as *mut c_char
}

/// Stores `message` (a `malloc`'d copy) in `*errmsg`, or NULL for `None`; nothing if `errmsg`
/// is NULL.
///
/// # Safety
/// A non-NULL `errmsg` must be valid for a write of one pointer.
pub(crate) unsafe fn set_error(errmsg: *mut *mut c_char, message: Option<&str>) {
    if errmsg.is_null() {
        return;
    }
    let p = message.map_or(std::ptr::null_mut(), malloc_string);
    // SAFETY: the caller guarantees `errmsg` is writable.
    unsafe { errmsg.write(p) };
}

/// [`set_error`] for a result: NULL on success, the error's message on failure; returns `ok`
/// or `err`.
///
/// # Safety
/// As [`set_error`].
pub(crate) unsafe fn report<T, E: std::fmt::Display>(
    errmsg: *mut *mut c_char,
    result: Result<T, E>,
    ok: impl FnOnce(T) -> i32,
) -> i32 {
    match result {
        Ok(v) => {
            // SAFETY: forwarded from the caller.
            unsafe { set_error(errmsg, None) };
            ok(v)
        }
        Err(e) => {
            // SAFETY: forwarded from the caller.
            unsafe { set_error(errmsg, Some(&e.to_string())) };
            -1
        }
    }
}
