# reject: insn 0: r1 = ctx: write of 4 bytes at offset 0 may change the context's packet pointers
# context: packet-writable 16 data 0 end 4 width 4
# The fields holding the packet bounds are not for programs to write.
stw [%r1], 0
mov %r0, 0
exit
