# accept
# checked: 16
# The same through a local call: the callee's state on the second call (r3 and r5 unrelated)
# is not covered by the first (copies), so the access keeps its run-time check.
# r1..r5 copied from the caller (linked on the first call, unlinked on the second).
    mov %r6, %r1
    mov %r4, %r2
    add %r4, 0
    mov %r7, %r2
    and %r7, 1
    jne %r7, 0, b
    mov %r3, %r4
    mov %r5, %r4
    ja go
b:
    mov %r3, 0
    mov %r5, 3000
go:
    call local fn
    exit
fn:
    ja +0
    jge %r3, %r2, fout
    add %r1, %r5
    ldxb %r0, [%r1]
    exit
fout:
    mov %r0, 0
    exit
