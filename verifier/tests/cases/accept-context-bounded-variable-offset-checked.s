# accept
# checked: 3
# Raw memory at a bounded variable offset: kept, with its run-time check (against the context
# alone).
ldxb %r3, [%r1]
add %r1, %r3
mov %r0, 0
ldxb %r0, [%r1]
exit
