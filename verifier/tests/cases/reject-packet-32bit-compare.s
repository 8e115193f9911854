# reject: insn 2: 32-bit comparison of pointers
# context: packet 16 data 0 end 8 width 8
ldxdw %r2, [%r1]
ldxdw %r3, [%r1+8]
jgt32 %r2, %r3, +0
mov %r0, 0
exit
