# reject: invalid access to sk_msg_md (off=0 size=8): `data` points to a kernel object
# context: type sk_msg
# oxbpf builds no sk_msg: its data cannot be reached directly.
ldxdw %r2, [%r1+0]
mov %r0, 1
exit
