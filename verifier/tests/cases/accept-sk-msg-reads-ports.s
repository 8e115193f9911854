# accept
# context: type sk_msg
# A message verdict program reads the family, the peer's address and port, and the size.
ldxw %r2, [%r1+16]
ldxw %r3, [%r1+40]
ldxw %r4, [%r1+60]
ldxw %r5, [%r1+68]
mov %r0, 1
exit
