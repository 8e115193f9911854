# reject: insn 1: `host_raw` (helper 1001) has no prototype, so what it reads and writes is unknown: it may rewrite the packet pointers of the context
# context: packet 16 data 0 end 8 width 8
# unknown-helpers: assume-worst
mov %r6, %r1
call 1001
ldxdw %r2, [%r6]
ldxdw %r3, [%r6+8]
mov %r4, %r2
add %r4, 8
jgt %r4, %r3, +2
ldxdw %r0, [%r2]
exit
mov %r0, 0
exit
