# reject: insn 0: r1 = ctx: write of 8 bytes at offset 0 to a read-only part of the context
# context: packet 16 data 0 end 8 width 8
stdw [%r1], 0
mov %r0, 0
exit
