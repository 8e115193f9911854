# reject: invalid access to __sk_buff (off=0 size=4, write): `len` is read-only
# context: type sched_cls
mov %r2, 7
stxw [%r1+0], %r2
mov %r0, 0
exit
