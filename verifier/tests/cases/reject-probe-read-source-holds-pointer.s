# reject: insn 6: a helper reading part of the spilled ctx at fp-16 would leak an address
# probe_read copies bytes: not those of a spilled pointer.
stxdw [%r10-16], %r1
mov %r1, %r10
add %r1, -8
mov %r2, 8
mov %r3, %r10
add %r3, -16
call 4
ldxdw %r0, [%r10-8]
exit
