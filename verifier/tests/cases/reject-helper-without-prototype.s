# reject: insn 2: `host_raw` (helper 1001) has no prototype
# A helper registered without a prototype may write anything its arguments reach: a verified
# program may not call it.
mov %r1, %r10
add %r1, -8
call 1001
mov %r0, 0
exit
