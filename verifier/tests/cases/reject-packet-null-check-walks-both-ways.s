# reject: insn 5: returning r0 = fp0 would leak an address
# context: packet 16 data 0 end 8 width 8
ldxdw %r2, [%r1]
jeq %r2, 0, +2
mov %r0, 0
exit
mov %r0, %r10
exit
