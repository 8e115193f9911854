# reject: insn 1: argument 1 of `host_add` must be a number, but r1 = fp0
# A helper taking numbers may not be given a pointer (it would see its address).
mov %r1, %r10
call 1000
exit
