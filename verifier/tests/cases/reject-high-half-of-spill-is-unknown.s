# reject: insn 5: pointer arithmetic on r3 = fp0-16
# The high half of a spilled number is not the number: reading it gives no bounds to use as an
# index.
mov %r1, 3
stxdw [%r10-8], %r1
ldxw %r2, [%r10-4]
mov %r3, %r10
add %r3, -16
add %r3, %r2
ldxb %r0, [%r3]
exit
