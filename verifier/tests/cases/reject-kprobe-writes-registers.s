# reject: is read-only
# context: type kprobe
mov %r2, 0
stxdw [%r1+0], %r2
mov %r0, 0
exit
