# reject: insn 1: comparing fp0 with the number 2147483647 would leak an address
# Branching on a pointer against a number tells the program where it is, a bit at a time.
mov %r0, 0
jgt %r10, 0x7fffffff, +1
mov %r0, 1
exit
