# accept
# context: type kprobe
# A kprobe reads registers of its `pt_regs`, whole and in part.
ldxdw %r0, [%r1+112]
ldxw %r2, [%r1+8]
add %r0, %r2
exit
