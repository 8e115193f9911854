# reject: insn 5: overwriting part of the spilled ctx at fp-8 would leak an address
# probe_read writes its destination: not over a spilled pointer.
stxdw [%r10-8], %r1
mov %r1, %r10
add %r1, -8
mov %r2, 8
mov %r3, 0
call 4
ldxdw %r1, [%r10-8]
ldxb %r0, [%r1]
exit
