# reject: insn 12: r1 = ctx-8: access of 1 bytes at offset -8 is outside the context
# Pruning keeps the old state's links: on the first path r3 and r6 are copies of one number,
# and the check of r3 against the length proves r1 + r6; on the second they are two unrelated
# numbers, which the first path's proof does not cover.
    mov %r4, %r2
    add %r4, 0
    mov %r7, %r2
    and %r7, 1
    jne %r7, 0, pathb
    mov %r6, %r4
    mov %r3, %r4
    ja join
pathb:
    mov %r3, 0
    mov %r6, -8
join:
    jge %r3, %r2, out
    add %r1, %r6
    stb [%r1], 0x41
    mov %r0, 1
    exit
out:
    mov %r0, 0
    exit
