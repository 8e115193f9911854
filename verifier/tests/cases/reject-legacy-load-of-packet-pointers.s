# reject: insn 0: a legacy packet load from a context holding packet pointers would leak an address
# context: packet 16 data 0 end 8 width 8
ldabsw 0
mov %r6, %r0
ldabsw 4
lsh %r0, 32
or %r0, %r6
exit
