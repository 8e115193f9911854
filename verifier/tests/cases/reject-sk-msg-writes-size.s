# reject: invalid access to sk_msg_md (off=68 size=4, write): `size` is read-only
# context: type sk_msg
stw [%r1+68], 0
mov %r0, 1
exit
