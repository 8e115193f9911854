# reject: insn 4: reads fp0-8, a stack byte not written on this path
# A call assumed to do the worst may have overwritten a spilled pointer: the slot is unreadable
# after it.
# unknown-helpers: assume-worst
stxdw [%r10-8], %r1
mov %r1, %r10
add %r1, -8
call 1001
ldxdw %r1, [%r10-8]
ldxb %r0, [%r1]
exit
