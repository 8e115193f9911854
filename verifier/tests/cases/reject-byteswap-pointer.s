# reject: insn 1: byte swap of a pointer
mov %r0, %r1
be32 %r0
exit
