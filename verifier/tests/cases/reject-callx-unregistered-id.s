# reject: insn 1: a call of helper 999, which is not registered
mov %r6, 999
call %r6
exit
